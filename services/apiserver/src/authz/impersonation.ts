// Impersonation: a caller allowed the `impersonate` verb acts as another user (Impersonate-User/-Group metadata).
import type { Metadata } from "@grpc/grpc-js";
import { apiErrors } from "@kubeplane/api";
import { AUTHENTICATED_GROUP, type UserInfo } from "../authn/index.js";
import { resourceAttributes, type RequestAttributes } from "./attributes.js";
import type { Authorizer } from "./authorizer.js";
import { forbiddenError } from "./forbidden.js";

export const IMPERSONATE_USER = "impersonate-user";
export const IMPERSONATE_GROUP = "impersonate-group";
export const IMPERSONATE_UID = "impersonate-uid";

/** A key's values; HTTP/2 may deliver a repeated key as one comma-joined value, so values are split on commas. */
function values(metadata: Metadata, key: string): string[] {
  return metadata
    .get(key)
    .filter((v): v is string => typeof v === "string")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/**
 * The user a call acts as: the authenticated `user` itself, or, when the call carries
 * `impersonate-user` (and optionally `impersonate-group`, `impersonate-uid`), that user, once
 * `authorizer` allowed `user` the `impersonate` verb on each of them (users, or serviceaccounts
 * for `system:serviceaccount:NS:NAME`; groups; uids). Rejects with Forbidden when one is refused
 * and BadRequest for groups or a uid without a user, as kube-apiserver.
 */
export async function impersonatedUser(metadata: Metadata, user: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  const name = values(metadata, IMPERSONATE_USER)[0];
  const groups = values(metadata, IMPERSONATE_GROUP);
  const uid = values(metadata, IMPERSONATE_UID)[0];
  if (!name) {
    if (groups.length > 0 || uid) throw apiErrors.badRequest("requested impersonation of groups or a uid without impersonating a user");
    return user;
  }
  const checks: RequestAttributes[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  const impersonated: UserInfo = { username: name, groups: [...groups] };
  if (sa) {
    checks.push(resourceAttributes(user, { verb: "impersonate", resource: "serviceaccounts", namespace: sa[1]!, name: sa[2]! }));
    impersonated.groups.push("system:serviceaccounts", `system:serviceaccounts:${sa[1]!}`);
  } else checks.push(resourceAttributes(user, { verb: "impersonate", resource: "users", name }));
  for (const group of groups) checks.push(resourceAttributes(user, { verb: "impersonate", resource: "groups", name: group }));
  if (uid) {
    checks.push(resourceAttributes(user, { verb: "impersonate", apiGroup: "authentication.k8s.io", resource: "uids", name: uid }));
    impersonated.uid = uid;
  }
  for (const check of checks) {
    const verdict = await authorizer.authorize(check);
    if (verdict.decision !== "allow") throw forbiddenError(check, verdict.reason);
  }
  if (name !== "system:anonymous" && !impersonated.groups.includes(AUTHENTICATED_GROUP)) impersonated.groups.push(AUTHENTICATED_GROUP);
  impersonated.groups = [...new Set(impersonated.groups)];
  return impersonated;
}
