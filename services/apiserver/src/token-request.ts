// The serviceaccounts/token subresource: TokenRequest (authentication.k8s.io/v1) issues a ServiceAccount token.
import { randomUUID } from "node:crypto";
import { apiErrors, apiserverV1, authenticationV1TokenRequest, decodeMessageJson, kindFor, type ApiObject, type coreV1Config, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { ServiceAccountTokenIssuer } from "./authn/service-account-token.js";
import { asBuffer } from "./object-codec.js";
import { timestamp, type Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";

const { Encoding } = apiserverV1;
type TokenRequest = authenticationV1TokenRequest.TokenRequest;
const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;

/** Kubernetes' bounds of spec.expirationSeconds: at least 10 minutes, 1 hour by default, below 2^32. */
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
const MAX_TOKEN_EXPIRATION_SECONDS = 2 ** 32 - 1;

/** What issuing needs: the objects, the signer, and the audiences a token gets when it asks for none. */
export interface TokenRequestDeps {
  registry: Registry;
  issuer: ServiceAccountTokenIssuer;
  apiAudiences: readonly string[];
  /** Longest lifetime granted; longer requests are shortened (0: no limit). */
  maxExpirationSeconds?: number;
}

/**
 * Serves CreateToken: admits it (serviceaccounts/token; NotFound without a signing key), checks the
 * ServiceAccount (NotFound), the bound Pod (NotFound; Conflict for
 * another uid; BadRequest when it runs as another ServiceAccount) and the spec (Invalid), then signs
 * a token. Nothing is stored. Throws ApiErrors.
 */
export async function createToken(deps: TokenRequestDeps | undefined, registry: Registry, req: apiserverV1.CreateTokenRequest, ctx?: RequestContext): Promise<apiserverV1.ObjectReply> {
  const request = decodeTokenRequest(req.tokenRequest);
  const namespace = req.namespace || request.metadata?.namespace || "";
  const name = req.name || request.metadata?.name || "";
  if (!namespace || !name) throw apiErrors.badRequest("a namespace and a ServiceAccount name are required for serviceaccounts/token");
  // Admission of serviceaccounts/token (NodeRestriction: a node's tokens are bound to its own pods), as the request came.
  await registry.admit({ operation: "CREATE", info: serviceAccounts, subresource: "token", namespace, name, object: request as unknown as ApiObject }, ctx);
  if (!deps) throw apiErrors.apiError("NotFound", "the server could not find the requested resource (serviceaccounts/token): no serviceAccountSigningKeyFile");
  const spec = (request.spec ??= authenticationV1TokenRequest.TokenRequestSpec.fromPartial({}));
  const subject = { group: "authentication.k8s.io", resource: "tokenrequests", kind: "TokenRequest", name };
  spec.expirationSeconds ??= DEFAULT_TOKEN_EXPIRATION_SECONDS;
  if (spec.expirationSeconds < MIN_TOKEN_EXPIRATION_SECONDS) {
    throw apiErrors.invalid(subject, [{ type: "FieldValueInvalid", field: "spec.expirationSeconds", value: spec.expirationSeconds, detail: "may not specify a duration less than 10 minutes" }]);
  }
  if (spec.expirationSeconds > MAX_TOKEN_EXPIRATION_SECONDS) {
    throw apiErrors.invalid(subject, [{ type: "FieldValueInvalid", field: "spec.expirationSeconds", value: spec.expirationSeconds, detail: "may not specify a duration larger than 2^32 seconds" }]);
  }
  if (deps.maxExpirationSeconds && spec.expirationSeconds > deps.maxExpirationSeconds) spec.expirationSeconds = deps.maxExpirationSeconds;
  if (spec.audiences.length === 0) spec.audiences = [...deps.apiAudiences];

  const sa = await deps.registry.get(serviceAccounts, namespace, name);
  const pod = spec.boundObjectRef ? await boundPod(deps.registry, namespace, name, spec.boundObjectRef) : undefined;
  const { token, expiresAt } = deps.issuer.issue(
    {
      namespace,
      serviceAccount: { name, uid: sa.metadata!.uid },
      pod: pod ? { name: pod.metadata!.name, uid: pod.metadata!.uid } : undefined,
      audiences: spec.audiences,
      expirationSeconds: spec.expirationSeconds,
    },
    randomUUID(),
  );
  if (pod && spec.boundObjectRef) spec.boundObjectRef.uid = pod.metadata!.uid;
  const reply = authenticationV1TokenRequest.TokenRequest.fromPartial({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    metadata: { name, namespace, creationTimestamp: timestamp(new Date()) },
    spec,
    status: { token, expirationTimestamp: timestamp(new Date(expiresAt * 1000)) },
  });
  return { object: encodeTokenRequest(reply, req.accept) };
}

async function boundPod(registry: Registry, namespace: string, sa: string, ref: authenticationV1TokenRequest.BoundObjectReference): Promise<coreV1Pod.Pod> {
  if (ref.kind !== "Pod" || (ref.apiVersion && ref.apiVersion !== "v1")) {
    throw apiErrors.badRequest(`cannot bind token to object of type ${ref.apiVersion || "<none>"}/${ref.kind || "<none>"}; only v1/Pod is supported`);
  }
  const pod = await registry.get(pods, namespace, ref.name);
  if (ref.uid && ref.uid !== pod.metadata!.uid) {
    throw apiErrors.conflict({ resource: "pods", name: ref.name }, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  const runsAs = pod.spec?.serviceAccountName || "default";
  if (runsAs !== sa) throw apiErrors.badRequest(`cannot bind token for serviceaccount "${sa}" to pod running with different serviceaccount name.`);
  return pod;
}

function decodeTokenRequest(raw: apiserverV1.RawObject | undefined): TokenRequest {
  if (!raw || raw.data.length === 0) return authenticationV1TokenRequest.TokenRequest.fromPartial({});
  if (raw.encoding === Encoding.ENCODING_JSON) {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(raw.data).toString("utf8"));
    } catch (err) {
      throw apiErrors.badRequest(`the object is not valid JSON: ${(err as Error).message}`);
    }
    const { object, errors } = decodeMessageJson("kubeplane.authentication.v1.TokenRequest", authenticationV1TokenRequest.TokenRequest, json);
    if (!object) throw apiErrors.badRequest("error decoding TokenRequest", errors);
    return object;
  }
  return authenticationV1TokenRequest.TokenRequest.decode(raw.data);
}

function encodeTokenRequest(tr: TokenRequest, accept: apiserverV1.Encoding): apiserverV1.RawObject {
  if (accept === Encoding.ENCODING_JSON) {
    return { data: Buffer.from(JSON.stringify(authenticationV1TokenRequest.TokenRequest.toJSON(tr))), encoding: Encoding.ENCODING_JSON };
  }
  return { data: asBuffer(authenticationV1TokenRequest.TokenRequest.encode(tr).finish()), encoding: Encoding.ENCODING_PROTOBUF };
}
