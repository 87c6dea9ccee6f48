// Assembles the authorizer chain (system:masters, Node, RBAC) and starts the caches it reads.
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "../registry.js";
import { PrivilegedGroupsAuthorizer, UnionAuthorizer, type Authorizer } from "./authorizer.js";
import { ensureBootstrapPolicy } from "./bootstrap.js";
import { NodeAuthorizer } from "./node-authorizer.js";
import { NodeGraph } from "./node-graph.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { RbacCache } from "./rbac-cache.js";
import { EscalationCheck } from "./rbac-escalation.js";

/** The running authorization step of one apiserver. */
export interface AuthorizationStep {
  authorizer: Authorizer;
  escalation: EscalationCheck;
  /** Resolves once the bootstrap policy is written and every cache has listed. */
  ready: Promise<void>;
  /** Resolves when the caches stopped (after the signal aborted). */
  done: Promise<void>;
}

/**
 * Writes the bootstrap policy (retrying while the store is unreachable), then starts the RBAC
 * cache and the node graph. Until `ready`, RBAC sees no bindings (only system:masters is allowed),
 * so the apiserver waits for it before serving.
 */
export function startAuthorization(registry: Registry, signal: AbortSignal, logger: Logger): AuthorizationStep {
  const rbac = new RbacCache();
  const graph = new NodeGraph();
  const authorizer = new UnionAuthorizer([new PrivilegedGroupsAuthorizer(), new NodeAuthorizer(graph, registry), new RbacAuthorizer(rbac)]);
  const bootstrapped = (async () => {
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        await ensureBootstrapPolicy(registry);
        return;
      } catch (err) {
        logger.warn({ err }, "could not write the RBAC bootstrap policy yet; retrying");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  })();
  // The RBAC cache lists after the bootstrap, so its first list already holds the default policy.
  const rbacRun = bootstrapped.then(() => rbac.run(registry, signal, logger));
  const graphRun = graph.run(registry, signal, logger);
  const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  return {
    authorizer,
    escalation: new EscalationCheck(rbac, authorizer, registry),
    ready: Promise.race([aborted, Promise.all([rbacRun.then((r) => r.synced), graphRun.synced]).then(() => undefined)]),
    done: Promise.all([rbacRun.then((r) => r.done), graphRun.done]).then(() => undefined),
  };
}
