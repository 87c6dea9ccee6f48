// One keep-alive http.Agent per upstream endpoint, so connections to each are pooled and reused.
import { Agent } from "node:http";
import { upstreamKey, type Upstream } from "./backend-endpoints.js";

/** Sockets kept open per upstream between requests. */
const MAX_FREE_SOCKETS = 32;
/** An idle pooled socket is closed after this long (below typical server keep-alive timeouts of 60 s+). */
const FREE_SOCKET_TIMEOUT_MS = 30_000;

/** The agents, created on first use. Not thread-safe (used from the event loop only). */
export class UpstreamAgents {
  private readonly agents = new Map<string, Agent>();

  /** The keep-alive agent for `upstream`. */
  for(upstream: Upstream): Agent {
    const key = upstreamKey(upstream);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, timeout: FREE_SOCKET_TIMEOUT_MS, scheduling: "lifo" });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /**
   * Drops the agents of upstreams not in `live` (keys as `upstreamKey`), closing their idle
   * connections; requests still in flight to a removed endpoint finish undisturbed.
   */
  retain(live: ReadonlySet<string>): void {
    for (const [key, agent] of this.agents) {
      if (live.has(key)) continue;
      for (const sockets of Object.values(agent.freeSockets)) sockets?.forEach((s) => s.destroy());
      this.agents.delete(key);
    }
  }

  /** Closes every connection, idle or not (at shutdown). */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  get size(): number {
    return this.agents.size;
  }
}
