// The soak's workloads: Deployments scaled and rolled, Jobs whose pods the soak completes (simulated nodes run nothing), and the checks of their final state.
import { coreV1Pod, isConflict, isNotFound, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Informer } from "@kubeplane/client";

type Json = Record<string, unknown>;
export const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
export const jobs = kindFor("batch/v1", "Job") as KindInfo;
export const pods = kindFor("v1", "Pod") as KindInfo;

const ROLL_ANNOTATION = "soak.kubeplane.io/revision";
const JOB_COMPLETIONS = 3;

interface DeploymentIntent {
  /** The last acknowledged spec (replicas, revision), and specs sent without an answer since. */
  acked: { replicas: number; rev: number };
  uncertain: Array<{ replicas: number; rev: number }>;
}

const meta = (o: Json | ApiObject): Json => ((o as Json).metadata ?? {}) as Json;
const specOf = (o: Json | ApiObject): Json => ((o as Json).spec ?? {}) as Json;
const statusOf = (o: Json | ApiObject): Json => ((o as Json).status ?? {}) as Json;
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));

function deploymentManifest(namespace: string, name: string, replicas: number, rev: number): Json {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace, name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: { [ROLL_ANNOTATION]: String(rev) } },
        spec: { containers: [{ name: "app", image: "registry.local/busybox:1", resources: { requests: { cpu: "10m", memory: "16Mi" } } }], terminationGracePeriodSeconds: 0 },
      },
    },
  };
}

/**
 * Deployments `web-0…` in `namespace`: each mutation scales one (1–5 replicas) or rolls it (a new
 * template annotation). Mutations read, change and update (Conflict: read again); an unanswered one
 * is remembered as a possible outcome, as the ConfigMap ledger does.
 */
export class DeploymentLoad {
  readonly intents = new Map<string, DeploymentIntent>();
  mutations = 0;

  constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.intents.set(`web-${i}`, { acked: { replicas: 3, rev: 0 }, uncertain: [] });
  }

  async create(): Promise<void> {
    for (const [name, intent] of this.intents) await this.client.json.create(deployments, deploymentManifest(this.namespace, name, intent.acked.replicas, intent.acked.rev));
  }

  /** One mutation of a random Deployment; resolves false when it went unanswered. */
  async mutate(): Promise<boolean> {
    const names = [...this.intents.keys()];
    const name = names[Math.floor(Math.random() * names.length)]!;
    const intent = this.intents.get(name)!;
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: Json;
      try {
        current = await this.client.json.get(deployments, this.namespace, name);
      } catch {
        return false;
      }
      const spec = specOf(current);
      const tmplMeta = meta((spec.template ?? {}) as Json);
      const now = { replicas: num(spec.replicas), rev: num(((tmplMeta.annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]) };
      intent.acked = now;
      intent.uncertain = [];
      const next = Math.random() < 0.5 ? { replicas: 1 + Math.floor(Math.random() * 5), rev: now.rev } : { replicas: now.replicas, rev: now.rev + 1 };
      const body = deploymentManifest(this.namespace, name, next.replicas, next.rev);
      (body.metadata as Json).resourceVersion = meta(current).resourceVersion;
      try {
        await this.client.json.update(deployments, body);
        intent.acked = next;
        this.mutations++;
        return true;
      } catch (err) {
        if (isConflict(err)) continue;
        intent.uncertain.push(next);
        return false;
      }
    }
    return true;
  }

  /** Problems with each Deployment's final state: spec as last written, status converged, exactly `replicas` current pods. */
  async problems(podInformer: Informer<ApiObject>): Promise<string[]> {
    const out: string[] = [];
    for (const [name, intent] of this.intents) {
      const d = await this.client.json.get(deployments, this.namespace, name);
      const spec = specOf(d);
      const st = statusOf(d);
      const replicas = num(spec.replicas);
      const rev = num(((meta((spec.template ?? {}) as Json).annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]);
      const allowed = [intent.acked, ...intent.uncertain];
      if (!allowed.some((a) => a.replicas === replicas && a.rev === rev)) out.push(`${name}: spec replicas ${replicas} rev ${rev}, last written ${JSON.stringify(intent.acked)}`);
      const gen = num(meta(d).generation);
      if (num(st.observedGeneration) < gen) out.push(`${name}: observedGeneration ${num(st.observedGeneration)} < generation ${gen}`);
      for (const field of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"]) {
        if (num(st[field]) !== replicas) out.push(`${name}: status.${field} ${num(st[field])}, want ${replicas}`);
      }
      const live = podInformer.lister.listByNamespace(this.namespace).filter((p) => ((meta(p).labels ?? {}) as Record<string, string>).app === name && !meta(p).deletionTimestamp);
      const current = live.filter((p) => num(((meta(p).annotations ?? {}) as Record<string, string>)[ROLL_ANNOTATION]) === rev);
      if (live.length !== replicas) out.push(`${name}: ${live.length} live pods, want ${replicas}`);
      if (current.length !== replicas) out.push(`${name}: ${current.length} pods of revision ${rev}, want ${replicas}`);
      const notRunning = live.filter((p) => statusOf(p).phase !== "Running");
      if (notRunning.length > 0) out.push(`${name}: ${notRunning.length} pods not Running`);
    }
    return out;
  }
}

/** Longest a Job may run more pods than its parallelism after a lost create reply (the controller deletes the extra). */
const OVERSHOOT_LIMIT_MS = 30_000;

/**
 * Jobs `job-0…` (3 completions, parallelism 1) in `namespace`. Simulated nodes run nothing, so the
 * soak plays the containers: a pod Running for `runMs` is reported Succeeded (exit code 0), as a
 * kubelet would report a container that ended well.
 */
export class JobLoad {
  readonly created: string[] = [];
  /** Pods already reported Succeeded by the soak (uid), and the Running pods' first sighting. */
  private readonly completedUids = new Set<string>();
  private readonly runningSince = new Map<string, number>();
  /**
   * Jobs with more than one active pod at once (parallelism 1): most pods seen active together, and
   * the longest such stretch. Kubernetes allows a short overshoot ("actual parallelism may be more
   * than requested"): a create whose reply was lost (an apiserver killed mid-call) may have been
   * applied, the controller creates again, then sees both and deletes the extra. An overshoot is a
   * violation only when it lasts over OVERSHOOT_LIMIT_MS or is still there at the end.
   */
  readonly overlaps = new Map<string, { most: number; longestMs: number; since?: number }>();
  private next = 0;

  constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
  ) {}

  /** Creates the next Job; false when unanswered (its name is then not checked unless it exists). */
  async createOne(): Promise<boolean> {
    const name = `job-${this.next++}`;
    try {
      await this.client.json.create(jobs, {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { namespace: this.namespace, name },
        spec: {
          completions: JOB_COMPLETIONS,
          parallelism: 1,
          backoffLimit: 100,
          template: { spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [{ name: "work", image: "registry.local/busybox:1", command: ["true"] }] } },
        },
      });
      this.created.push(name);
      return true;
    } catch {
      return false;
    }
  }

  /** Watches the pods informer: tracks active pods per Job and completes pods that ran long enough. */
  async complete(podInformer: Informer<ApiObject>, runMs: number): Promise<void> {
    const active = new Map<string, number>();
    for (const p of podInformer.lister.listByNamespace(this.namespace)) {
      const job = ((meta(p).labels ?? {}) as Record<string, string>)["job-name"];
      if (!job) continue;
      const st = statusOf(p);
      const finished = st.phase === "Succeeded" || st.phase === "Failed";
      if (!finished && !meta(p).deletionTimestamp) active.set(job, (active.get(job) ?? 0) + 1);
      const uid = String(meta(p).uid);
      if (st.phase !== "Running" || this.completedUids.has(uid) || meta(p).deletionTimestamp) continue;
      const since = this.runningSince.get(uid) ?? performance.now();
      this.runningSince.set(uid, since);
      if (performance.now() - since < runMs) continue;
      const done = {
        ...p,
        status: {
          ...st,
          phase: "Succeeded",
          conditions: ((st.conditions ?? []) as Json[]).map((c) => (c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False", reason: "PodCompleted" } : c)),
          containerStatuses: ((st.containerStatuses ?? []) as Json[]).map((c) => ({ ...c, ready: false, started: false, state: { terminated: { exitCode: 0, reason: "Completed", containerId: c.containerId } } })),
        },
      };
      try {
        await this.client.updateStatus(pods, coreV1Pod.Pod.fromPartial(done as unknown as coreV1Pod.Pod));
        this.completedUids.add(uid);
        this.runningSince.delete(uid);
      } catch (err) {
        if (isNotFound(err)) this.runningSince.delete(uid);
      }
    }
    const now = performance.now();
    for (const [job, n] of active) {
      if (n <= 1) continue;
      const o = this.overlaps.get(job) ?? { most: 0, longestMs: 0 };
      o.most = Math.max(o.most, n);
      o.since ??= now;
      o.longestMs = Math.max(o.longestMs, now - o.since);
      this.overlaps.set(job, o);
    }
    for (const [job, o] of this.overlaps) if ((active.get(job) ?? 0) <= 1) delete o.since;
  }

  /** Problems with the Jobs' final state: each Complete with exactly 3 succeeded pods, none ever active twice at once. */
  async problems(podInformer: Informer<ApiObject>): Promise<string[]> {
    const out: string[] = [];
    for (const name of this.created) {
      const job = await this.client.json.get(jobs, this.namespace, name);
      const st = statusOf(job);
      const complete = ((st.conditions ?? []) as Json[]).some((c) => c.type === "Complete" && c.status === "True");
      if (!complete) out.push(`${name}: not Complete (succeeded ${num(st.succeeded)}, active ${num(st.active)})`);
      if (num(st.succeeded) !== JOB_COMPLETIONS) out.push(`${name}: status.succeeded ${num(st.succeeded)}, want ${JOB_COMPLETIONS}`);
      const succeededPods = podInformer.lister.listByNamespace(this.namespace).filter((p) => ((meta(p).labels ?? {}) as Record<string, string>)["job-name"] === name && statusOf(p).phase === "Succeeded");
      if (succeededPods.length > JOB_COMPLETIONS) out.push(`${name}: ${succeededPods.length} pods succeeded, want ${JOB_COMPLETIONS}`);
    }
    for (const [job, o] of this.overlaps) {
      if (o.since !== undefined) out.push(`${job}: ${o.most} pods still active at once with parallelism 1`);
      else if (o.longestMs > OVERSHOOT_LIMIT_MS) out.push(`${job}: ${o.most} pods active at once with parallelism 1 for ${(o.longestMs / 1000).toFixed(1)} s`);
    }
    return out;
  }

  /** True once every created Job is Complete (for the settle wait). */
  async allComplete(): Promise<boolean> {
    for (const name of this.created) {
      const st = statusOf(await this.client.json.get(jobs, this.namespace, name));
      if (!((st.conditions ?? []) as Json[]).some((c) => c.type === "Complete" && c.status === "True")) return false;
    }
    return true;
  }
}
