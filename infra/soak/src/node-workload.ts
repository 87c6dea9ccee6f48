// The real node's workload (Deployments of busybox pinned to it: two tolerating an unreachable node for ever, one of them with a hostPort, one evicted 2 s after) and the watch over its containers: no pod's container runs twice.
import { isConflict, type ApiObject } from "@kubeplane/api";
import type { ApiClient, Informer } from "@kubeplane/client";
import { BUSYBOX_IMAGE } from "@kubeplane/testing";
import { nftRulesNaming, REAL_NODE_LABEL, REAL_NODE_TAINT, type RealNode } from "./real-node.js";
import { deployments } from "./workload.js";

type Json = Record<string, unknown>;
const ROLL_ANNOTATION = "soak.kubeplane.io/revision";
const UNREACHABLE = "node.kubernetes.io/unreachable";
const NOT_READY = "node.kubernetes.io/not-ready";
/** How long the evictable pods tolerate an unreachable node before they are evicted. */
export const EVICTABLE_TOLERATION_S = 2;

const meta = (o: Json | ApiObject): Json => ((o as Json).metadata ?? {}) as Json;
const specOf = (o: Json | ApiObject): Json => ((o as Json).spec ?? {}) as Json;
const statusOf = (o: Json | ApiObject): Json => ((o as Json).status ?? {}) as Json;
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));

/** The port the `hostport` Deployment's pod takes on the node (the CNI portmap plugin writes nft rules for it). */
export const HOST_PORT = 18080;

/**
 * `pinned` tolerates an unreachable node for ever (it stays bound through a cut); `evictable` for
 * 2 s (replaced); `hostport`, one replica (Recreate: two cannot share the port), for ever.
 */
export const NODE_DEPLOYMENTS = {
  pinned: { tolerationSeconds: undefined, hostPort: false },
  evictable: { tolerationSeconds: EVICTABLE_TOLERATION_S, hostPort: false },
  hostport: { tolerationSeconds: undefined, hostPort: true },
} as const;
export type NodeDeployment = keyof typeof NODE_DEPLOYMENTS;

function manifest(namespace: string, name: NodeDeployment, replicas: number, rev: number): Json {
  const labels = { app: name };
  const { tolerationSeconds: seconds, hostPort } = NODE_DEPLOYMENTS[name];
  const tolerations = [
    { key: REAL_NODE_TAINT.key, operator: "Equal", value: REAL_NODE_TAINT.value, effect: REAL_NODE_TAINT.effect },
    ...[UNREACHABLE, NOT_READY].map((key) => ({ key, operator: "Exists", effect: "NoExecute", ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) })),
  ];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace, name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: hostPort ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: { [ROLL_ANNOTATION]: String(rev) } },
        spec: {
          nodeSelector: { [REAL_NODE_LABEL.key]: REAL_NODE_LABEL.value },
          tolerations,
          // sleep as PID 1 ignores SIGTERM: the grace period ends it.
          containers: [
            {
              name: "app",
              image: BUSYBOX_IMAGE,
              command: ["sleep", "100000"],
              resources: { requests: { cpu: "10m", memory: "8Mi" } },
              ...(hostPort ? { ports: [{ containerPort: 8080, hostPort: HOST_PORT, protocol: "TCP" }] } : {}),
            },
          ],
          terminationGracePeriodSeconds: 1,
        },
      },
    },
  };
}

/**
 * The Deployments on the real node. Each mutation rolls one (a new template annotation) or scales
 * it between 1 and 3 replicas; the last written spec is what the final check expects (an
 * unanswered write may or may not have landed, so the check reads the spec back and checks the
 * status and pods against it).
 */
export class NodeWorkload {
  mutations = 0;

  constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
  ) {}

  async create(): Promise<void> {
    for (const name of Object.keys(NODE_DEPLOYMENTS) as NodeDeployment[]) await this.client.json.create(deployments, manifest(this.namespace, name, NODE_DEPLOYMENTS[name].hostPort ? 1 : 2, 0));
  }

  async mutate(): Promise<void> {
    const names = Object.keys(NODE_DEPLOYMENTS) as NodeDeployment[];
    const name = names[Math.floor(Math.random() * names.length)]!;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.client.json.get(deployments, this.namespace, name);
      const spec = specOf(current);
      const rev = num(((meta((spec.template ?? {}) as Json).annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]);
      const roll = NODE_DEPLOYMENTS[name].hostPort || Math.random() < 0.5;
      const body = manifest(this.namespace, name, roll ? num(spec.replicas) : 1 + Math.floor(Math.random() * 3), roll ? rev + 1 : rev);
      (body.metadata as Json).resourceVersion = meta(current).resourceVersion;
      try {
        await this.client.json.update(deployments, body);
        this.mutations++;
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  /** Problems with the final state: each Deployment converged, exactly spec.replicas live pods of its revision, Running on `nodeName`. */
  async problems(podInformer: Informer<ApiObject>, nodeName: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of Object.keys(NODE_DEPLOYMENTS)) {
      const d = await this.client.json.get(deployments, this.namespace, name);
      const replicas = num(specOf(d).replicas);
      const rev = num(((meta((specOf(d).template ?? {}) as Json).annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]);
      const st = statusOf(d);
      if (num(st.observedGeneration) < num(meta(d).generation)) out.push(`node ${name}: observedGeneration ${num(st.observedGeneration)} < generation ${num(meta(d).generation)}`);
      for (const field of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"]) if (num(st[field]) !== replicas) out.push(`node ${name}: status.${field} ${num(st[field])}, want ${replicas}`);
      const live = podInformer.lister.listByNamespace(this.namespace).filter((p) => ((meta(p).labels ?? {}) as Record<string, string>).app === name && !meta(p).deletionTimestamp);
      if (live.length !== replicas) out.push(`node ${name}: ${live.length} live pods, want ${replicas}`);
      const current = live.filter((p) => num(((meta(p).annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]) === rev);
      if (current.length !== replicas) out.push(`node ${name}: ${current.length} pods of revision ${rev}, want ${replicas}`);
      const elsewhere = live.filter((p) => specOf(p).nodeName !== nodeName || statusOf(p).phase !== "Running");
      if (elsewhere.length > 0) out.push(`node ${name}: ${elsewhere.length} pods not Running on ${nodeName}`);
    }
    return out;
  }
}

/**
 * Samples the real node's containers through containerd: a pod's container (pod uid + container
 * name) must run as one container for the pod's whole life (the workload's containers never exit,
 * so a second one seen running means it ran twice), and never two running at once. A container
 * never seen running (its start cut short, e.g. by a kubelet killed mid-StartContainer, which
 * cancels the call) does not count as a run: it is counted apart (`abandonedStarts`). Collects every sandbox id and
 * pod IP seen, for the leak check after the drain.
 */
export class ContainerWatch {
  readonly violations: string[] = [];
  readonly sandboxIds = new Set<string>();
  readonly podIps = new Set<string>();
  /** (pod uid/container name) → the container ids seen running. */
  private readonly seen = new Map<string, Set<string>>();
  /** Every container id seen, and those seen running. */
  private readonly created = new Set<string>();
  private readonly ran = new Set<string>();
  samples = 0;
  /** The most containers seen running at once. */
  mostRunning = 0;
  /** The most nft rule lines naming a pod IP or sandbox seen in one sample (the hostport pod's portmap rules): the leak check after the drain looks for these. */
  mostNftRules = 0;
  /** Those rule lines (of the sample with the most). */
  nftRulesSeen: string[] = [];

  constructor(private readonly node: RealNode) {}

  /** Containers created but never seen running (a start cut short and retried, or a container deleted before it ran). */
  get abandonedStarts(): number {
    return [...this.created].filter((id) => !this.ran.has(id)).length;
  }

  async sample(podInformer: Informer<ApiObject>): Promise<void> {
    const { all, running } = await this.node.list();
    this.samples++;
    const runningNow = new Map<string, number>();
    for (const c of all) {
      if (c.kind === "sandbox") {
        this.sandboxIds.add(c.id);
        continue;
      }
      const key = `${c.podName} (uid ${c.podUid}) container ${c.name}`;
      this.created.add(c.id);
      if (!running.has(c.id)) continue;
      this.ran.add(c.id);
      runningNow.set(key, (runningNow.get(key) ?? 0) + 1);
      const ids = this.seen.get(key) ?? new Set<string>();
      this.seen.set(key, ids);
      if (!ids.has(c.id)) {
        ids.add(c.id);
        if (ids.size === 2) this.violations.push(`${key} ran more than once on ${this.node.name} (containers ${[...ids].map((i) => i.slice(0, 12)).join(", ")})`);
      }
    }
    for (const [key, n] of runningNow) if (n > 1) this.violations.push(`${key}: ${n} containers running at once on ${this.node.name}`);
    this.mostRunning = Math.max(this.mostRunning, [...runningNow.values()].reduce((a, b) => a + b, 0));
    for (const p of podInformer.lister.list()) {
      if (specOf(p).nodeName !== this.node.name) continue;
      const st = statusOf(p);
      for (const ip of [st.podIp, st.podIP, ...((st.podIps ?? st.podIPs ?? []) as Json[]).map((x) => x.ip)]) if (typeof ip === "string" && ip !== "") this.podIps.add(ip);
    }
    const rules = await nftRulesNaming(this.podIps, this.sandboxIds);
    if (rules.length > this.mostNftRules) {
      this.mostNftRules = rules.length;
      this.nftRulesSeen = rules;
    }
  }

  /**
   * CRI list against the pods: every running container belongs to a live pod bound to this node,
   * and every Running pod bound here has exactly one running container per container of its spec.
   */
  async compare(podInformer: Informer<ApiObject>): Promise<string[]> {
    const { all, running } = await this.node.list();
    const out: string[] = [];
    const live = new Map(
      podInformer.lister
        .list()
        .filter((p) => specOf(p).nodeName === this.node.name && !meta(p).deletionTimestamp)
        .map((p) => [String(meta(p).uid), p] as const),
    );
    const runningPerPod = new Map<string, number>();
    for (const c of all) {
      if (c.kind !== "container" || !running.has(c.id)) continue;
      if (!live.has(c.podUid)) out.push(`container ${c.name} of ${c.podName} (uid ${c.podUid}) runs on ${this.node.name} but no live pod of that uid is bound there`);
      runningPerPod.set(c.podUid, (runningPerPod.get(c.podUid) ?? 0) + 1);
    }
    for (const [uid, p] of live) {
      if (statusOf(p).phase !== "Running") continue;
      const want = ((specOf(p).containers ?? []) as Json[]).length;
      const got = runningPerPod.get(uid) ?? 0;
      if (got !== want) out.push(`pod ${meta(p).namespace}/${meta(p).name} is Running with ${want} containers, ${got} running in containerd`);
    }
    return out;
  }
}
