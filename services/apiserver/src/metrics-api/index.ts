// The metrics.k8s.io/v1beta1 API (NodeMetrics, PodMetrics): read-only get and list, computed from the kubelets' stats on request.
import { apiErrors, isNotFound, kindForResource, nodeMetricsInfo, podMetricsInfo, type apiserverV1, type ApiObject, type coreV1Node, type coreV1Pod, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { kubeletDialer } from "../node-proxy.js";
import { encodeReplyObject } from "../object-codec.js";
import type { ListPage, ListParams } from "../registry.js";
import { KubeletScraper } from "./kubelet-scraper.js";
import { nodeMetrics, podMetrics, type NodeUsage } from "./usage.js";

export { cpuRate, usageFromSummary, goDuration, type NodeUsage, type Usage } from "./usage.js";
export { KubeletScraper } from "./kubelet-scraper.js";

/** The reads the metrics API needs of the stored Pods and Nodes. */
export interface MetricsObjectSource {
  get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T>;
  list<T extends ApiObject>(info: KindInfo<T>, params: ListParams): Promise<ListPage<T>>;
}

export interface MetricsApiDeps {
  objects: MetricsObjectSource;
  logger: Logger;
  /** TLS towards kubelets, as the node proxy's. */
  kubeletTls?: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  /** Dials a kubelet; default from `kubeletTls`. */
  dial?: (target: { nodeName: string; address: string }) => kubeletV1.KubeletServiceClient;
  /** metrics-server's --metric-resolution: scrape cache and CPU rate window; default 15 s. */
  resolutionMs?: number | undefined;
}

/** What the generic get/list handlers delegate to for metrics.k8s.io. */
export interface MetricsApi {
  /** True for a request of the metrics.k8s.io group (which this API answers, NotFound included). */
  serves(resource: apiserverV1.Resource | undefined): boolean;
  get(req: apiserverV1.GetRequest): Promise<apiserverV1.ObjectReply>;
  list(req: apiserverV1.ListRequest): Promise<apiserverV1.ListReply>;
}

const GROUP = "metrics.k8s.io";
const podsInfo = (): KindInfo<coreV1Pod.Pod> => kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>;
const nodesInfo = (): KindInfo<coreV1Node.Node> => kindForResource("", "nodes") as KindInfo<coreV1Node.Node>;
const everything = (namespace: string, labelSelector = ""): ListParams => ({ namespace, labelSelector, fieldSelector: "", limit: 0, continueToken: "" });

function kindOf(resource: apiserverV1.Resource | undefined): KindInfo {
  const info = resource?.resource === "pods" ? podMetricsInfo : resource?.resource === "nodes" ? nodeMetricsInfo : undefined;
  if (!info || (resource!.version && resource!.version !== info.version)) {
    throw apiErrors.apiError("NotFound", `the server could not find the requested resource (${resource?.resource ?? ""}.${GROUP})`);
  }
  return info;
}

/** Creates the metrics API over the stored objects and a kubelet scraper with a short cache. */
export function createMetricsApi(deps: MetricsApiDeps): MetricsApi {
  const scraper = new KubeletScraper({ dial: deps.dial ?? kubeletDialer(deps.kubeletTls), resolutionMs: deps.resolutionMs });
  const logger = deps.logger.child({ component: "metrics-api" });

  /** The usage of each node, scraped in parallel; a node whose kubelet fails is left out (its objects have no metrics). */
  async function usageOf(nodes: readonly coreV1Node.Node[]): Promise<Map<string, NodeUsage>> {
    const out = new Map<string, NodeUsage>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          out.set(node.metadata?.name ?? "", await scraper.scrape(node));
        } catch (err) {
          logger.warn({ err, kind: "Node", name: node.metadata?.name }, "no metrics from this node");
        }
      }),
    );
    return out;
  }

  async function nodesOfPods(pods: readonly coreV1Pod.Pod[]): Promise<coreV1Node.Node[]> {
    const names = new Set(pods.map((p) => p.spec?.nodeName ?? "").filter(Boolean));
    const { items } = await deps.objects.list(nodesInfo(), everything(""));
    return items.filter((n) => names.has(n.metadata?.name ?? ""));
  }

  const notFound = (info: KindInfo, name: string): Error => apiErrors.notFound({ group: GROUP, resource: info.resource, kind: info.kind, name });

  return {
    serves: (resource) => resource?.group === GROUP,

    async get(req) {
      const info = kindOf(req.resource);
      const now = new Date();
      if (info === nodeMetricsInfo) {
        const node = await deps.objects.get(nodesInfo(), "", req.name).catch((err: unknown) => {
          throw isNotFound(err) ? notFound(info, req.name) : err;
        });
        const usage = (await usageOf([node])).get(req.name);
        const metrics = usage && nodeMetrics(node, usage, now);
        if (!metrics) throw notFound(info, req.name);
        return { object: encodeReplyObject(info, metrics, req.accept) };
      }
      if (!req.namespace) throw apiErrors.badRequest("a namespace is required for pods");
      const pod = await deps.objects.get(podsInfo(), req.namespace, req.name).catch((err: unknown) => {
        throw isNotFound(err) ? notFound(info, req.name) : err;
      });
      const usage = pod.spec?.nodeName ? (await usageOf(await nodesOfPods([pod]))).get(pod.spec.nodeName) : undefined;
      const metrics = usage && podMetrics(pod, usage, now);
      if (!metrics) throw notFound(info, req.name);
      return { object: encodeReplyObject(info, metrics, req.accept) };
    },

    async list(req) {
      const info = kindOf(req.resource);
      if (req.fieldSelector) throw apiErrors.badRequest(`field selectors are not supported by ${info.resource}.${GROUP}`);
      const now = new Date();
      let items: ApiObject[];
      let revision: number;
      if (info === nodeMetricsInfo) {
        const nodes = await deps.objects.list(nodesInfo(), everything("", req.labelSelector));
        const all = await deps.objects.list(nodesInfo(), everything(""));
        scraper.retain(new Set(all.items.map((n) => n.metadata?.name ?? "")));
        const usage = await usageOf(nodes.items);
        items = nodes.items.flatMap((n) => {
          const u = usage.get(n.metadata?.name ?? "");
          return (u && nodeMetrics(n, u, now)) || [];
        });
        revision = nodes.resourceVersion;
      } else {
        const pods = await deps.objects.list(podsInfo(), everything(req.namespace, req.labelSelector));
        const usage = await usageOf(await nodesOfPods(pods.items));
        items = pods.items.flatMap((p) => {
          const u = usage.get(p.spec?.nodeName ?? "");
          return (u && podMetrics(p, u, now)) || [];
        });
        revision = pods.resourceVersion;
      }
      return { items: items.map((o) => encodeReplyObject(info, o, req.accept)), resourceVersion: String(revision), continueToken: "", remainingItemCount: undefined };
    },
  };
}
