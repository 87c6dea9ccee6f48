// The kubelet's ImageService over the CRI runtime.v1 gRPC API: pulls go through the runtime's registry config.
import { Metadata, status } from "@grpc/grpc-js";
import type * as cri from "../gen/runtime/v1/api.js";
import type { Image, ImageService, PodSandboxConfig } from "../runtime/types.js";
import { CriError } from "./errors.js";
import { fromCriImage } from "./from-cri.js";
import type { ResolvedCriClientOptions } from "./options.js";
import { toCriSandboxConfig } from "./to-cri.js";
import { unary, type UnaryMethod } from "./unary.js";

/**
 * ImageService over one gRPC channel. Methods may be called concurrently; PullImage has its own
 * longer deadline. Rejects with CriError (a missing image on pull: NOT_FOUND or UNKNOWN with the
 * registry's message, which the kubelet reports as ErrImagePull).
 */
export class CriImageService implements ImageService {
  readonly #client: cri.ImageServiceClient;
  readonly #opts: ResolvedCriClientOptions;

  constructor(client: cri.ImageServiceClient, opts: ResolvedCriClientOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  #call<Req, Res>(rpc: string, method: UnaryMethod<Req, Res>, request: Req, timeoutMs = this.#opts.timeoutMs): Promise<Res> {
    return unary(rpc, method.bind(this.#client), new Metadata(), request, timeoutMs);
  }

  async pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string> {
    const request = { image: { image, annotations: {} }, sandboxConfig: sandboxConfig && toCriSandboxConfig(sandboxConfig) };
    const reply = await this.#call("PullImage", this.#client.pullImage, request, this.#opts.pullTimeoutMs);
    if (!reply.imageRef) throw new CriError("PullImage", status.INTERNAL, `the runtime returned no image reference for ${image}`);
    return reply.imageRef;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const reply = await this.#call("ImageStatus", this.#client.imageStatus, { image: { image, annotations: {} }, verbose: false });
    return reply.image && fromCriImage(reply.image);
  }

  async listImages(): Promise<Image[]> {
    return (await this.#call("ListImages", this.#client.listImages, {})).images.map(fromCriImage);
  }

  async removeImage(image: string): Promise<void> {
    await this.#call("RemoveImage", this.#client.removeImage, { image: { image, annotations: {} } });
  }
}
