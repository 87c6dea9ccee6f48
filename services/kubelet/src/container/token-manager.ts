// The kubelet's token manager: ServiceAccount tokens of projected volumes, cached per pod and request, renewed at 80 % of their lifetime.

/** An issued token: its text and its validity window (ms since the epoch). */
export interface IssuedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** What a token is requested for: the pod it is bound to, its ServiceAccount, audience and lifetime. */
export interface TokenKey {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podUid: string;
  audience: string;
  expirationSeconds: number;
}

/** Fetches a fresh token (TokenRequest bound to the pod); rejects when the apiserver refuses. */
export type TokenFetcher = (key: TokenKey) => Promise<{ token: string; expirationTimestamp: Date }>;

/** Kubernetes' rule: renew once 80 % of the lifetime has passed, or when the token is older than a day. */
const REFRESH_FRACTION = 0.8;
const MAX_AGE_MS = 24 * 3600_000;

/**
 * Caches tokens so that each sync of a pod (every few seconds) costs no TokenRequest until the
 * cached token needs renewal. When a renewal fails while the cached token is still valid, the
 * cached one is returned (the next sync tries again); when there is none, the fetch's error is
 * thrown. Expired entries are dropped on each call. Safe to call concurrently: concurrent calls for
 * one key share one fetch.
 */
export class TokenManager {
  private readonly cache = new Map<string, IssuedToken>();
  private readonly inflight = new Map<string, Promise<IssuedToken>>();

  constructor(
    private readonly fetch: TokenFetcher,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(key: TokenKey): Promise<string> {
    const now = this.now();
    for (const [k, t] of this.cache) if (t.expiresAt <= now) this.cache.delete(k);
    const id = JSON.stringify([key.namespace, key.serviceAccount, key.podName, key.podUid, key.audience, key.expirationSeconds]);
    const cached = this.cache.get(id);
    if (cached && !this.requiresRefresh(cached, now)) return cached.token;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fetch(key)
        .then(({ token, expirationTimestamp }) => ({ token, issuedAt: now, expiresAt: expirationTimestamp.getTime() }))
        .finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    try {
      const fresh = await pending;
      this.cache.set(id, fresh);
      return fresh.token;
    } catch (err) {
      if (cached && cached.expiresAt > this.now()) return cached.token;
      throw err;
    }
  }

  /** Forgets the tokens of a pod that left the node. */
  deletePodTokens(podUid: string): void {
    for (const k of this.cache.keys()) if ((JSON.parse(k) as string[])[3] === podUid) this.cache.delete(k);
  }

  private requiresRefresh(t: IssuedToken, now: number): boolean {
    return now >= t.issuedAt + REFRESH_FRACTION * (t.expiresAt - t.issuedAt) || now - t.issuedAt > MAX_AGE_MS;
  }
}
