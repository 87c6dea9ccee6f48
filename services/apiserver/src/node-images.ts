// The node images subresources: an image archive streamed to a node's kubelet (`kpctl image import`) and its image list, proxied like logs and exec.
import { Metadata, status as GrpcStatus, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall, type ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, apiErrors, kindForResource, STATUS_METADATA_KEY, type apiserverV1, type coreV1Node, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import { kubeletAddress, kubeletDialer, type NodeProxyDeps } from "./node-proxy.js";
import { toServiceError } from "./status-mapping.js";

type NodeImagesServer = Pick<apiserverV1.ApiServerServiceServer, "nodeImportImages" | "nodeListImages">;
const nodesInfo = (): KindInfo<coreV1Node.Node> => kindForResource("", "nodes") as KindInfo<coreV1Node.Node>;

/** A kubelet's failure: its own Status when it sent one, else ServiceUnavailable naming the node. */
function fromKubelet(err: ServiceError, target: { nodeName: string; address: string }): Error {
  const unreachable = err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED;
  if (unreachable && !err.metadata?.get(STATUS_METADATA_KEY).length) {
    return apiErrors.apiError("ServiceUnavailable", `the kubelet of node "${target.nodeName}" at ${target.address} is unreachable: ${err.details}`, undefined, [], err);
  }
  return apiErrorFromGrpc(err);
}

/**
 * NodeImportImages relays the archive chunk by chunk (the first names the node) with backpressure
 * (a slow kubelet pauses the caller's stream, nothing is buffered here whole) and answers with the
 * kubelet's list of imported images; NodeListImages asks the node's kubelet for its images.
 */
export function nodeImageHandlers(deps: NodeProxyDeps): NodeImagesServer {
  const dial = deps.dial ?? kubeletDialer(deps.kubeletTls);
  const targetOf = async (nodeName: string): Promise<{ nodeName: string; address: string }> => {
    if (!nodeName) throw apiErrors.badRequest("the node to import images on is required (the first chunk's node)");
    return { nodeName, address: kubeletAddress(await deps.registry.get(nodesInfo(), "", nodeName)) };
  };
  return {
    nodeImportImages(call: ServerReadableStream<kubeletV1.ImageArchiveChunk, kubeletV1.ImportImagesResponse>, callback: sendUnaryData<kubeletV1.ImportImagesResponse>): void {
      let answered = false;
      const answer = (err: unknown, res?: kubeletV1.ImportImagesResponse): void => {
        if (answered) return;
        answered = true;
        if (err) callback(toServiceError(err, deps.logger));
        else callback(null, res);
      };
      let upstream: ReturnType<kubeletV1.KubeletServiceClient["importImages"]> | undefined;
      let pending: kubeletV1.ImageArchiveChunk[] = [];
      call.on("data", (chunk: kubeletV1.ImageArchiveChunk) => {
        if (upstream) {
          if (!upstream.write(chunk)) {
            call.pause();
            upstream.once("drain", () => call.resume());
          }
          return;
        }
        pending.push(chunk);
        if (pending.length > 1) return; // the kubelet is being dialled
        call.pause();
        targetOf(chunk.node).then((target) => {
          const client = dial(target);
          upstream = client.importImages((err, res) => {
            client.close();
            answer(err ? fromKubelet(err, target) : undefined, res);
          });
          for (const c of pending) upstream.write(c);
          pending = [];
          if (callEnded) upstream.end();
          call.resume();
        }).catch((err: unknown) => answer(err));
      });
      let callEnded = false;
      call.on("end", () => {
        callEnded = true;
        if (upstream) upstream.end();
        else if (pending.length === 0) answer(apiErrors.badRequest("the image archive is empty"));
      });
      call.on("cancelled", () => upstream?.cancel());
      call.on("error", (err) => answer(err));
    },

    nodeListImages(call: ServerUnaryCall<kubeletV1.ListImagesRequest, kubeletV1.ListImagesResponse>, callback: sendUnaryData<kubeletV1.ListImagesResponse>): void {
      targetOf(call.request.node).then((target) => {
        const client = dial(target);
        client.listImages({ node: target.nodeName }, new Metadata(), { deadline: Date.now() + 30_000 }, (err, res) => {
          client.close();
          if (err) callback(toServiceError(fromKubelet(err, target), deps.logger));
          else callback(null, res);
        });
      }).catch((err: unknown) => callback(toServiceError(err, deps.logger)));
    },
  };
}
