// Who is a node: Kubernetes' node identity is user system:node:<name> in group system:nodes.
import type { UserInfo } from "../authn/index.js";

export const NODES_GROUP = "system:nodes";
const PREFIX = "system:node:";

/** The node name of a kubelet's user, or undefined for any other user. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  const name = user.username.slice(PREFIX.length);
  return name || undefined;
}
