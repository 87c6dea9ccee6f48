// Connects to a CRI runtime's socket: the kubelet's RuntimeService and ImageService, sharing one channel's settings.
import { credentials } from "@grpc/grpc-js";
import * as cri from "../gen/runtime/v1/api.js";
import { CriImageService } from "./image-service.js";
import { criChannelOptions, criTarget, resolveCriClientOptions, type CriClientOptions } from "./options.js";
import { CriRuntimeService } from "./runtime-service.js";

/** A connection to a CRI runtime. `close()` ends both clients; calls after it reject. */
export interface CriConnection {
  readonly runtime: CriRuntimeService;
  readonly images: CriImageService;
  close(): void;
}

/**
 * Connects (lazily: the first call dials) to the CRI at `endpoint`, `unix:///run/containerd/containerd.sock`
 * or a bare socket path. Any CRI runtime works; nothing here is containerd-specific.
 */
export function connectCri(endpoint: string, opts: CriClientOptions = {}): CriConnection {
  const target = criTarget(endpoint);
  const resolved = resolveCriClientOptions(opts);
  const runtimeClient = new cri.RuntimeServiceClient(target, credentials.createInsecure(), criChannelOptions);
  const imageClient = new cri.ImageServiceClient(target, credentials.createInsecure(), criChannelOptions);
  return {
    runtime: new CriRuntimeService(runtimeClient, resolved),
    images: new CriImageService(imageClient, resolved),
    close: () => {
      runtimeClient.close();
      imageClient.close();
    },
  };
}
