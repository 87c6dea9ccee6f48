// The serviceaccounts/token subresource from the client's side: TokenRequest options in, the token out.
import { apiserverV1, authenticationV1TokenRequest } from "@kubeplane/api";

/** What `createToken` asks for (kubectl create token's flags; the kubelet binds tokens to its pods). */
export interface TokenRequestOptions {
  /** Who the token is for; empty: the apiserver's own audiences. */
  audiences?: string[];
  /** Requested lifetime, at least 600 s; default 3600 s. The apiserver may shorten it. */
  expirationSeconds?: number;
  /** The pod the token is bound to: the token stops working once the pod is gone. */
  boundPod?: { name: string; uid?: string };
}

/** An issued token and when it expires. */
export interface ServiceAccountToken {
  token: string;
  expirationTimestamp: Date;
  audiences: string[];
}

/** The CreateToken request for ServiceAccount `name` in `namespace`. */
export function createTokenRequest(namespace: string, name: string, opts: TokenRequestOptions): apiserverV1.CreateTokenRequest {
  const request = authenticationV1TokenRequest.TokenRequest.fromPartial({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    metadata: { name, namespace },
    spec: {
      audiences: opts.audiences ?? [],
      expirationSeconds: opts.expirationSeconds,
      boundObjectRef: opts.boundPod ? { kind: "Pod", apiVersion: "v1", name: opts.boundPod.name, uid: opts.boundPod.uid ?? "" } : undefined,
    },
  });
  const data = authenticationV1TokenRequest.TokenRequest.encode(request).finish();
  return {
    namespace,
    name,
    tokenRequest: { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), encoding: apiserverV1.Encoding.ENCODING_PROTOBUF },
    accept: apiserverV1.Encoding.ENCODING_PROTOBUF,
  };
}

/** The token of a CreateToken reply. */
export function tokenOfReply(reply: apiserverV1.ObjectReply): ServiceAccountToken {
  const tr = authenticationV1TokenRequest.TokenRequest.decode(reply.object?.data ?? new Uint8Array());
  return { token: tr.status?.token ?? "", expirationTimestamp: new Date(tr.status?.expirationTimestamp ?? 0), audiences: tr.spec?.audiences ?? [] };
}
