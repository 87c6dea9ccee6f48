// Scrapes kubelets' stats on demand over the node proxy's mutual TLS, at most once per resolution window per node.
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { apiErrors, type coreV1Node, type kubeletV1 } from "@kubeplane/api";
import { kubeletAddress } from "../node-proxy.js";
import { usageFromSummary, type CpuCounter, type NodeUsage } from "./usage.js";

export interface KubeletScraperOptions {
  /** Dials a node's kubelet (the node proxy's mutual-TLS dialer). */
  dial: (target: { nodeName: string; address: string }) => kubeletV1.KubeletServiceClient;
  /** A scrape is reused this long, and CPU rates cover about this window (metrics-server's --metric-resolution); default 15 s. */
  resolutionMs?: number;
  /** Deadline of one stats call; default 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

interface NodeEntry {
  counters: Map<string, CpuCounter>;
  usage?: NodeUsage;
  scrapedAtMs: number;
  inflight?: Promise<NodeUsage>;
}

/**
 * Per-node usage with a short cache: concurrent callers share one scrape, and a scrape younger than
 * the resolution is served again, so the API's readers (kpctl top, the HPA controller) cost each
 * kubelet at most one stats call per window. Safe for concurrent use; entries of nodes that are gone
 * are dropped by `retain`.
 */
export class KubeletScraper {
  private readonly entries = new Map<string, NodeEntry>();
  private readonly resolutionMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: KubeletScraperOptions) {
    this.resolutionMs = opts.resolutionMs ?? 15_000;
    this.now = opts.now ?? Date.now;
  }

  /** The node's usage; rejects with ServiceUnavailable when its kubelet cannot be reached. */
  scrape(node: coreV1Node.Node): Promise<NodeUsage> {
    const name = node.metadata?.name ?? "";
    let entry = this.entries.get(name);
    if (!entry) this.entries.set(name, (entry = { counters: new Map(), scrapedAtMs: 0 }));
    if (entry.inflight) return entry.inflight;
    if (entry.usage && this.now() - entry.scrapedAtMs < this.resolutionMs) return Promise.resolve(entry.usage);
    const e = entry;
    e.inflight = this.fetch(node).then(
      (summary) => {
        const at = this.now();
        e.usage = usageFromSummary(name, summary, e.counters, at, this.resolutionMs);
        e.scrapedAtMs = at;
        e.inflight = undefined;
        return e.usage;
      },
      (err: unknown) => {
        e.inflight = undefined;
        throw err;
      },
    );
    return e.inflight;
  }

  /** Forgets nodes not in `names` (deleted nodes). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.entries.keys()) if (!names.has(name)) this.entries.delete(name);
  }

  private fetch(node: coreV1Node.Node): Promise<kubeletV1.StatsResponse> {
    const target = { nodeName: node.metadata?.name ?? "", address: kubeletAddress(node) };
    const client = this.opts.dial(target);
    const deadline = Date.now() + (this.opts.timeoutMs ?? 5_000);
    return new Promise((resolve, reject) => {
      client.stats({}, new Metadata(), { deadline }, (err: ServiceError | null, res?: kubeletV1.StatsResponse) => {
        client.close();
        if (err || !res) reject(apiErrors.apiError("ServiceUnavailable", `unable to fetch metrics from node ${target.nodeName} at ${target.address}: ${err?.details ?? "no reply"}`, undefined, [], err ?? undefined));
        else resolve(res);
      });
    });
  }
}
