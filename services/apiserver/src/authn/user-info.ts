// The authenticated caller of a request, as Kubernetes' user.Info: name, uid, groups, extra.

/** Who made a request. Every authenticated user is also in `system:authenticated`. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Authenticator-specific facts (e.g. the pod a ServiceAccount token is bound to). */
  extra?: Record<string, string[]>;
}

export const AUTHENTICATED_GROUP = "system:authenticated";
/** The group whose members may do everything (cluster-admin's binding, as Kubernetes). */
export const MASTERS_GROUP = "system:masters";

/** The user with `system:authenticated` added once. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
