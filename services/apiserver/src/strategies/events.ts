// The Event strategy: Events expire (kube-apiserver's --event-ttl); the store attaches them to a lease.
import { defaultStrategy, type Strategy } from "./strategy.js";

/** Events live `ttlSeconds` after their last write; 0: until deleted. */
export function eventStrategy(ttlSeconds: number): Strategy {
  return { ...defaultStrategy, ttlSeconds: () => (ttlSeconds > 0 ? ttlSeconds : undefined) };
}
