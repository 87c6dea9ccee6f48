// Interactive pods/exec, pods/attach and pods/portforward: relay a caller's bidirectional stream to the pod's kubelet over the mutual-TLS kubelet client.
import type { ClientDuplexStream, ServerDuplexStream, ServiceError } from "@grpc/grpc-js";
import { apiErrors, kindForResource, podStreamTarget, type apiserverV1, type coreV1Node, type coreV1Pod, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import { fromKubelet, kubeletAddress, kubeletDialer, observe, type NodeProxyDeps } from "./node-proxy.js";
import { toServiceError } from "./status-mapping.js";

type NodeStreamServer = Pick<apiserverV1.ApiServerServiceServer, "podExecStream" | "podAttach" | "podPortForward">;
type Target = { namespace: string; name: string; nodeName: string; address: string };

const podsInfo = (): KindInfo<coreV1Pod.Pod> => kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>;
const nodesInfo = (): KindInfo<coreV1Node.Node> => kindForResource("", "nodes") as KindInfo<coreV1Node.Node>;

/**
 * Relays `call` to the stream `open` starts on the kubelet, both ways with backpressure, after
 * rewriting each request with `stamp` (the pod the metadata named, which authorization checked,
 * replaces whatever the messages say). The caller's half-close and cancel reach the kubelet; the
 * kubelet's end, error (its Status, or ServiceUnavailable when unreachable) reach the caller.
 */
function relay<Req, Res>(
  deps: NodeProxyDeps,
  call: ServerDuplexStream<Req, Res>,
  subresource: string,
  open: (client: kubeletV1.KubeletServiceClient) => ClientDuplexStream<Req, Res>,
  stamp: (req: Req, target: Target) => Req,
): void {
  const done = observe(deps, "create", "pods", subresource);
  const dial = deps.dial ?? kubeletDialer(deps.kubeletTls);
  let upstream: ClientDuplexStream<Req, Res> | undefined;
  let cancelled = false;
  let finished = false;
  const finish = (outcome?: unknown): void => {
    if (finished) return;
    finished = true;
    done(cancelled ? "499" : outcome);
    if (cancelled) return;
    if (outcome === undefined) call.end();
    else call.emit("error", toServiceError(outcome, deps.logger));
  };
  call.on("cancelled", () => {
    cancelled = true;
    upstream?.cancel();
    finish();
  });
  call.pause();
  const resolve = async (): Promise<Target> => {
    const { namespace, name } = podStreamTarget(call.metadata);
    if (!namespace || !name) throw apiErrors.badRequest("the call's metadata must name the pod (kubeplane-namespace, kubeplane-name)");
    const pod = await deps.registry.get(podsInfo(), namespace, name);
    const nodeName = pod.spec?.nodeName ?? "";
    if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") {
      throw apiErrors.badRequest(`cannot ${subresource === "portforward" ? "port-forward to" : subresource + " into"} a container in a completed pod; current phase is ${pod.status.phase}`);
    }
    const node = await deps.registry.get(nodesInfo(), "", nodeName);
    return { namespace, name, nodeName, address: kubeletAddress(node) };
  };
  resolve().then((target) => {
    if (cancelled) return;
    const client = dial(target);
    const up = (upstream = open(client));
    up.on("data", (res: Res) => {
      if (!call.write(res)) {
        up.pause();
        call.once("drain", () => up.resume());
      }
    });
    up.on("end", () => {
      client.close();
      finish();
    });
    up.on("error", (err: ServiceError) => {
      client.close();
      finish(fromKubelet(err, target));
    });
    call.on("data", (req: Req) => {
      if (!up.write(stamp(req, target))) {
        call.pause();
        up.once("drain", () => call.resume());
      }
    });
    call.on("end", () => up.end());
    call.resume();
  }).catch((err: unknown) => finish(err));
}

/** The interactive node-proxied subresources of ApiServerService; each call dials the pod's kubelet afresh. */
export function nodeStreamHandlers(deps: NodeProxyDeps): NodeStreamServer {
  const stampStart = (req: kubeletV1.RemoteCommandRequest, t: Target): kubeletV1.RemoteCommandRequest =>
    req.start ? { ...req, start: { ...req.start, namespace: t.namespace, pod: t.name } } : req;
  return {
    podExecStream(call) {
      relay(deps, call, "exec", (client) => client.execStream(), stampStart);
    },
    podAttach(call) {
      relay(deps, call, "attach", (client) => client.attach(), stampStart);
    },
    podPortForward(call) {
      relay(deps, call, "portforward", (client) => client.portForward(), (req, t) => ({ ...req, namespace: t.namespace, pod: t.name }));
    },
  };
}
