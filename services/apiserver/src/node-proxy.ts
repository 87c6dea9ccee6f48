// The pods/log, pods/exec and nodes stats subresources: find the pod's node and proxy the call to that node's kubelet.
import { checkServerIdentity } from "node:tls";
import { credentials, Metadata, status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type ServiceError } from "@grpc/grpc-js";
import {
  apiErrorFromGrpc,
  apiErrors,
  chooseContainer,
  isApiError,
  kindForResource,
  kubeletV1,
  STATUS_METADATA_KEY,
  type apiserverV1,
  type coreV1Node,
  type coreV1Pod,
  type KindInfo,
} from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { toServiceError } from "./status-mapping.js";
import type { ApiserverMetrics } from "./metrics.js";
import type { Registry } from "./registry.js";


type NodeProxyServer = Pick<apiserverV1.ApiServerServiceServer, "podLogs" | "podExec" | "nodeStats">;

/** Where a pod's subresource call goes: its node's kubelet, and the container it is about. */
export interface KubeletTarget {
  nodeName: string;
  /** host:port of the kubelet's gRPC API. */
  address: string;
  container: string;
}

export interface NodeProxyDeps {
  registry: Registry;
  metrics: ApiserverMetrics;
  logger: Logger;
  /**
   * The cluster CA and the apiserver's kubelet-client certificate: the kubelet's serving
   * certificate must be signed by the CA, name the address dialled and belong to the node
   * (CN system:node:<name>). Without it kubelets are dialled in plaintext (insecureServing only).
   */
  kubeletTls?: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  /** Dials a kubelet; default from `kubeletTls`. */
  dial?: (target: { nodeName: string; address: string }) => kubeletV1.KubeletServiceClient;
  /** Deadline of the stats call; default 30 s. */
  statsTimeoutMs?: number;
}

const podsInfo = (): KindInfo<coreV1Pod.Pod> => kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>;
const nodesInfo = (): KindInfo<coreV1Node.Node> => kindForResource("", "nodes") as KindInfo<coreV1Node.Node>;

/** The kubelet's host:port from its Node: the first InternalIP (else any address) and the kubelet endpoint's port. */
export function kubeletAddress(node: coreV1Node.Node): string {
  const addresses = node.status?.addresses ?? [];
  const host = (addresses.find((a) => a.type === "InternalIP") ?? addresses.find((a) => a.type === "ExternalIP") ?? addresses[0])?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.port ?? 0;
  const name = node.metadata?.name ?? "";
  if (!host || !port) throw apiErrors.apiError("ServiceUnavailable", `node "${name}" reports no kubelet endpoint (address and daemonEndpoints.kubeletEndpoint.Port)`);
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Dials kubelets over mutual TLS: the apiserver presents its kubelet-client certificate and checks
 * that the kubelet's certificate is the node's own, so one node cannot answer for another.
 */
export function kubeletDialer(tls: NodeProxyDeps["kubeletTls"]): (target: { nodeName: string; address: string }) => kubeletV1.KubeletServiceClient {
  if (!tls) return (target) => new kubeletV1.KubeletServiceClient(target.address, credentials.createInsecure());
  return (target) =>
    new kubeletV1.KubeletServiceClient(
      target.address,
      credentials.createSsl(tls.ca, tls.key, tls.cert, {
        checkServerIdentity: (host, cert) => {
          const mismatch = checkServerIdentity(host, cert);
          if (mismatch) return mismatch;
          const expected = `system:node:${target.nodeName}`;
          const cn = cert.subject?.CN;
          return cn === expected ? undefined : new Error(`the kubelet at ${target.address} presented a certificate for "${String(cn)}", not "${expected}"`);
        },
      }),
    );
}

/** Starts counting one proxied call like the other verbs; the returned function ends it with its outcome. */
export function observe(deps: NodeProxyDeps, verb: string, resource: string, subresource: string): (outcome?: unknown) => void {
  const started = process.hrtime.bigint();
  const labels = { verb, group: "", version: "v1", resource, subresource, scope: "resource", component: "apiserver" };
  return (outcome) => {
    // A string outcome is the code itself (499: nginx's "client closed request", as kube-apiserver counts a cancelled stream).
    const code = outcome === undefined ? "200" : typeof outcome === "string" ? outcome : isApiError(outcome) ? String(outcome.code) : "500";
    deps.metrics.requests.inc({ ...labels, code });
    deps.metrics.requestDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  };
}

/** A kubelet's failure as the API reports it: its own Status when it sent one, else ServiceUnavailable naming the node. */
export function fromKubelet(err: ServiceError, target: { nodeName: string; address: string }): Error {
  const unreachable = err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED;
  if (unreachable && !err.metadata?.get(STATUS_METADATA_KEY).length) {
    return apiErrors.apiError("ServiceUnavailable", `the kubelet of node "${target.nodeName}" at ${target.address} is unreachable: ${err.details}`, undefined, [], err);
  }
  return apiErrorFromGrpc(err);
}

/** The node-proxied subresources of ApiServerService. Each call dials the kubelet afresh and closes it when done. */
export function nodeProxyHandlers(deps: NodeProxyDeps): NodeProxyServer {
  const dial = deps.dial ?? kubeletDialer(deps.kubeletTls);

  async function podTarget(namespace: string, name: string, container: string): Promise<KubeletTarget> {
    if (!namespace) throw apiErrors.badRequest("a namespace is required for pods");
    const pod = await deps.registry.get(podsInfo(), namespace, name);
    const chosen = chooseContainer(pod, container);
    const nodeName = pod.spec?.nodeName ?? "";
    if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
    const node = await deps.registry.get(nodesInfo(), "", nodeName);
    return { nodeName, address: kubeletAddress(node), container: chosen };
  }

  return {
    podLogs(call: ServerWritableStream<apiserverV1.PodLogsRequest, kubeletV1.LogChunk>): void {
      const done = observe(deps, "get", "pods", "log");
      const req = call.request;
      let upstream: ReturnType<kubeletV1.KubeletServiceClient["containerLogs"]> | undefined;
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        upstream?.cancel();
      });
      const fail = (err: unknown): void => {
        done(cancelled ? "499" : err);
        if (!cancelled) call.emit("error", toServiceError(err, deps.logger));
      };
      podTarget(req.namespace, req.name, req.container).then((target) => {
        if (cancelled) return done("499");
        const client = dial(target);
        const stream = client.containerLogs({ ...req, pod: req.name, container: target.container });
        upstream = stream;
        stream.on("data", (chunk: kubeletV1.LogChunk) => {
          // Backpressure: a slow reader pauses the kubelet's stream rather than buffering the log here.
          if (!call.write(chunk)) {
            stream.pause();
            call.once("drain", () => stream.resume());
          }
        });
        stream.on("end", () => {
          client.close();
          done();
          call.end();
        });
        stream.on("error", (err: ServiceError) => {
          client.close();
          fail(fromKubelet(err, target));
        });
      }).catch(fail);
    },

    podExec(call: ServerUnaryCall<apiserverV1.PodExecRequest, kubeletV1.ExecResponse>, callback: sendUnaryData<kubeletV1.ExecResponse>): void {
      const done = observe(deps, "create", "pods", "exec");
      const req = call.request;
      let upstream: { cancel(): void } | undefined;
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        upstream?.cancel();
      });
      const fail = (err: unknown): void => {
        done(cancelled ? "499" : err);
        if (!cancelled) callback(toServiceError(err, deps.logger));
      };
      podTarget(req.namespace, req.name, req.container).then((target) => {
        if (req.command.length === 0) throw apiErrors.badRequest("you must specify at least one command for the container");
        if (cancelled) return done("499");
        const client = dial(target);
        upstream = client.exec({ ...req, pod: req.name, container: target.container }, (err, res) => {
          client.close();
          if (err) fail(fromKubelet(err, target));
          else {
            done();
            callback(null, res);
          }
        });
      }).catch(fail);
    },

    nodeStats(call: ServerUnaryCall<apiserverV1.NodeStatsRequest, kubeletV1.StatsResponse>, callback: sendUnaryData<kubeletV1.StatsResponse>): void {
      const done = observe(deps, "get", "nodes", "proxy");
      const fail = (err: unknown): void => {
        done(err);
        callback(toServiceError(err, deps.logger));
      };
      deps.registry.get(nodesInfo(), "", call.request.name).then((node) => {
        const target = { nodeName: call.request.name, address: kubeletAddress(node) };
        const client = dial(target);
        const deadline = Date.now() + (deps.statsTimeoutMs ?? 30_000);
        const upstream = client.stats({}, new Metadata(), { deadline }, (err, res) => {
          client.close();
          if (err) fail(fromKubelet(err, target));
          else {
            done();
            callback(null, res);
          }
        });
        call.on("cancelled", () => upstream.cancel());
      }).catch(fail);
    },
  };
}
