// Round-robin over a backend's endpoints, with the rest in order for retries.
import type { Upstream } from "./backend-endpoints.js";

/**
 * Per-backend round-robin positions. Each call to `order` starts one further along, so requests
 * spread over the endpoints; the returned list holds every endpoint once, so a caller retrying
 * after a refused connection tries each at most once. Single-threaded use (the event loop).
 */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  /** `endpoints` rotated to this backend's next start position. */
  order(backendKey: string, endpoints: readonly Upstream[]): Upstream[] {
    if (endpoints.length === 0) return [];
    const start = (this.next.get(backendKey) ?? 0) % endpoints.length;
    this.next.set(backendKey, start + 1);
    return [...endpoints.slice(start), ...endpoints.slice(0, start)];
  }
}
