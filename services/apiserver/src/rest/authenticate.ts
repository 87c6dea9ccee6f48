// The authenticate and authorize steps for a REST request: the same authenticator, impersonation and authorizers as gRPC calls.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { Metadata } from "@grpc/grpc-js";
import { apiErrors } from "@kubeplane/api";
import type { Authenticator, AuthnRequest, UserInfo } from "../authn/index.js";
import { forbiddenError, nonResourceAttributes, resourceAttributes, type Authorizer, type RequestAttributes } from "../authz/index.js";
import { impersonatedUser } from "../authz/impersonation.js";
import type { RequestInfo } from "./request-info.js";

/** The headers the authenticators and impersonation read, as the gRPC metadata they take. */
function metadataOf(req: IncomingMessage): Metadata {
  const metadata = new Metadata();
  for (const key of ["authorization", "impersonate-user", "impersonate-group", "impersonate-uid"]) {
    const value = req.headers[key];
    // Node joins a repeated header with ", "; impersonation splits values on commas.
    for (const v of Array.isArray(value) ? value : value !== undefined ? [value] : []) metadata.add(key, v);
  }
  return metadata;
}

/** The request as an authenticator sees it: its bearer token, and its client certificate once TLS verified it against the client CA. */
export function authnRequestOf(req: IncomingMessage): AuthnRequest {
  const socket = req.socket as TLSSocket;
  return {
    metadata: metadataOf(req),
    getAuthContext: () => (socket.authorized ? { sslPeerCertificate: socket.getPeerCertificate() } : {}),
  };
}

/**
 * Authenticates the request; a request without a usable credential is Unauthorized (401), one with
 * an invalid credential keeps the authenticator's own Unauthorized message.
 */
export async function authenticateRequest(req: IncomingMessage, authenticator: Authenticator): Promise<UserInfo> {
  let user: UserInfo | undefined;
  try {
    user = await authenticator.authenticate(authnRequestOf(req));
  } catch (err) {
    if ((err as { reason?: string }).reason === "Unauthorized") throw err;
    throw apiErrors.apiError("Unauthorized", "Unauthorized", undefined, [], err);
  }
  if (!user) throw apiErrors.apiError("Unauthorized", "Unauthorized");
  return user;
}

/** The authorization attributes of a REST request, read from its path and verb. */
export function attributesOf(user: UserInfo, info: RequestInfo, namespaced: boolean, fieldSelector: string): RequestAttributes {
  if (!info.isResourceRequest) return nonResourceAttributes(user, info.verb === "head" ? "get" : info.verb, info.path);
  return resourceAttributes(user, {
    verb: info.verb,
    apiGroup: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    namespace: namespaced ? info.namespace : "",
    name: info.name,
    ...(fieldSelector ? { fieldSelector } : {}),
  });
}

/**
 * The user the request acts as (impersonation headers honoured once the caller may impersonate),
 * refused with Forbidden when the authorizers do not allow `attrs`' verb.
 */
export async function authorizeRequest(
  req: IncomingMessage,
  user: UserInfo,
  authorizer: Authorizer,
  attrsFor: (user: UserInfo) => RequestAttributes,
  onActingAs?: (user: UserInfo) => void,
): Promise<{ user: UserInfo; attrs: RequestAttributes }> {
  const actingAs = await impersonatedUser(metadataOf(req), user, authorizer);
  onActingAs?.(actingAs);
  const attrs = attrsFor(actingAs);
  const verdict = await authorizer.authorize(attrs);
  if (verdict.decision !== "allow") throw forbiddenError(attrs, verdict.reason);
  return { user: actingAs, attrs };
}
