// The service-kit pieces the controller-manager uses, in one place.
import { descriptorSet } from "@kubeplane/api";
export { Service, type Logger, type RunContext } from "@kubeplane/service-kit";

export function descriptorSetOrUndefined(): Uint8Array {
  return descriptorSet();
}
