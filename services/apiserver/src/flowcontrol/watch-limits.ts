// Per-identity caps on concurrent watches: one user cannot hold the server's watch streams (and their JetStream consumers).
import type { UserInfo } from "../authn/index.js";
import type { Release } from "./fair-queue.js";
import { isSystemIdentity } from "./priority-levels.js";

/** The caps: ordinary users, and the cluster's own identities (control plane, nodes, administrators). */
export interface WatchCaps {
  perUser: number;
  perSystemUser: number;
}

/** Reports a watch counted or refused; `kind` is "system" or "user". */
export interface WatchCapObserver {
  current(kind: string, delta: number): void;
  rejected(kind: string): void;
}

/**
 * Counts open watches per username. `tryAcquire` is synchronous (single-threaded event loop):
 * it returns the watch's release, or undefined when the user is at its cap. A cap of 0 means no cap.
 */
export class WatchLimiter {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly caps: WatchCaps,
    private readonly observer?: WatchCapObserver,
  ) {}

  /** The cap `user` gets. */
  capOf(user: UserInfo): number {
    return isSystemIdentity(user) ? this.caps.perSystemUser : this.caps.perUser;
  }

  tryAcquire(user: UserInfo): Release | undefined {
    const kind = isSystemIdentity(user) ? "system" : "user";
    const cap = this.capOf(user);
    const count = this.open.get(user.username) ?? 0;
    if (cap > 0 && count >= cap) {
      this.observer?.rejected(kind);
      return undefined;
    }
    this.open.set(user.username, count + 1);
    this.observer?.current(kind, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(user.username) ?? 1) - 1;
      if (left > 0) this.open.set(user.username, left);
      else this.open.delete(user.username);
      this.observer?.current(kind, -1);
    };
  }

  /** Open watches of `username` (tests, debugging). */
  count(username: string): number {
    return this.open.get(username) ?? 0;
  }
}
