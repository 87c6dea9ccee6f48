// The Node authorizer's graph: which node each pod is bound to, and the Secrets, ConfigMaps and claims those pods use.
import { kindForResource, type coreV1Pod, type coreV1Volume, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "../registry.js";
import { watchStore } from "./store-watch.js";

type Pod = coreV1Pod.Pod;
type Claim = coreV1Volume.PersistentVolumeClaim;

/** What one bound pod gives its node access to: "secrets/ns/name", "configmaps/ns/name", "persistentvolumeclaims/ns/name". */
interface PodEdges {
  node: string;
  objects: string[];
}

/** The objects a pod references, as graph keys (volumes, projected sources, env, envFrom, image pull secrets, its ServiceAccount). */
export function podReferences(pod: Pod): string[] {
  const ns = pod.metadata?.namespace ?? "";
  const refs = new Set<string>();
  const add = (resource: string, name: string | undefined): void => {
    if (name) refs.add(`${resource}/${ns}/${name}`);
  };
  const spec = pod.spec;
  add("serviceaccounts", spec?.serviceAccountName || "default");
  for (const s of spec?.imagePullSecrets ?? []) add("secrets", s.name);
  for (const v of spec?.volumes ?? []) {
    add("secrets", v.secret?.secretName);
    add("configmaps", v.configMap?.name);
    add("persistentvolumeclaims", v.persistentVolumeClaim?.claimName);
    for (const p of v.projected?.sources ?? []) {
      add("secrets", p.secret?.name);
      add("configmaps", p.configMap?.name);
    }
  }
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.env) {
      add("secrets", e.valueFrom?.secretKeyRef?.name);
      add("configmaps", e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c.envFrom) {
      add("secrets", e.secretRef?.name);
      add("configmaps", e.configMapRef?.name);
    }
  }
  return [...refs];
}

/**
 * Pod → node and pod → Secret/ConfigMap/PVC edges, with PVC → PV from the claims' volumeName, kept
 * current by store watches (Kubernetes' node authorizer graph). Reads are synchronous.
 */
export class NodeGraph {
  private readonly pods = new Map<string, PodEdges>();
  /** node → object key → number of its pods referencing it. */
  private readonly reachable = new Map<string, Map<string, number>>();
  /** "ns/claim" → bound PersistentVolume name. */
  private readonly claimVolumes = new Map<string, string>();

  /** The node `namespace/name` is bound to, or undefined (unknown or not scheduled). */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.pods.get(`${namespace}/${name}`)?.node;
  }

  /** Whether a pod bound to `node` references the object ("secrets", "configmaps", "persistentvolumeclaims"). */
  references(node: string, resource: string, namespace: string, name: string): boolean {
    return (this.reachable.get(node)?.get(`${resource}/${namespace}/${name}`) ?? 0) > 0;
  }

  /** Whether a claim used by a pod bound to `node` is bound to PersistentVolume `name`. */
  referencesVolume(node: string, name: string): boolean {
    for (const key of this.reachable.get(node)?.keys() ?? []) {
      if (!key.startsWith("persistentvolumeclaims/")) continue;
      if (this.claimVolumes.get(key.slice("persistentvolumeclaims/".length)) === name) return true;
    }
    return false;
  }

  run(registry: Registry, signal: AbortSignal, logger: Logger): { synced: Promise<void>; done: Promise<void> } {
    const podKind = kindForResource("", "pods") as KindInfo<Pod>;
    const claimKind = kindForResource("", "persistentvolumeclaims") as KindInfo<Claim>;
    const key = (etcdKey: string): string => etcdKey.split("/").slice(4).join("/");
    const metaKey = (o: Pod | Claim): string => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
    const runs = [
      watchStore(registry, podKind, {
        replace: (items) => {
          for (const k of [...this.pods.keys()]) this.setPod(k, undefined);
          for (const pod of items) this.setPod(metaKey(pod), pod);
        },
        upsert: (k, pod) => this.setPod(key(k), pod),
        delete: (k) => this.setPod(key(k), undefined),
      }, signal, logger),
      watchStore(registry, claimKind, {
        replace: (items) => {
          this.claimVolumes.clear();
          for (const c of items) if (c.spec?.volumeName) this.claimVolumes.set(metaKey(c), c.spec.volumeName);
        },
        upsert: (k, c) => {
          if (c.spec?.volumeName) this.claimVolumes.set(key(k), c.spec.volumeName);
          else this.claimVolumes.delete(key(k));
        },
        delete: (k) => this.claimVolumes.delete(key(k)),
      }, signal, logger),
    ];
    return { synced: Promise.all(runs.map((r) => r.synced)).then(() => undefined), done: Promise.all(runs.map((r) => r.done)).then(() => undefined) };
  }

  private setPod(podKey: string, pod: Pod | undefined): void {
    const before = this.pods.get(podKey);
    if (before) this.count(before, -1);
    const node = pod?.spec?.nodeName;
    if (!pod || !node) {
      this.pods.delete(podKey);
      return;
    }
    const edges = { node, objects: podReferences(pod) };
    this.pods.set(podKey, edges);
    this.count(edges, 1);
  }

  private count(edges: PodEdges, delta: number): void {
    let objects = this.reachable.get(edges.node);
    if (!objects) this.reachable.set(edges.node, (objects = new Map()));
    for (const o of edges.objects) {
      const n = (objects.get(o) ?? 0) + delta;
      if (n > 0) objects.set(o, n);
      else objects.delete(o);
    }
    if (objects.size === 0) this.reachable.delete(edges.node);
  }
}
