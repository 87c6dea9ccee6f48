// @kubeplane/api: the object model generated from proto/ and the helpers around it.
import { descriptorSetBase64 } from "./gen/descriptors.js";

export * as testingV1 from "./gen/kubeplane/testing/v1/echo.js";

/** The FileDescriptorSet of every Kubeplane proto, for gRPC server reflection. */
export function descriptorSet(): Uint8Array {
  return Buffer.from(descriptorSetBase64, "base64");
}
