// @kubeplane/api: the object model generated from proto/ and the helpers around it.
import { descriptorSetBase64 } from "./gen/descriptors.js";

export * as metaV1 from "./gen/kubeplane/meta/v1/meta.js";
export * as coreV1Config from "./gen/kubeplane/core/v1/config.js";
export * as coreV1Event from "./gen/kubeplane/core/v1/event.js";
export * as coreV1Node from "./gen/kubeplane/core/v1/node.js";
export * as coreV1Pod from "./gen/kubeplane/core/v1/pod.js";
export * as coreV1Service from "./gen/kubeplane/core/v1/service.js";
export * as coreV1Types from "./gen/kubeplane/core/v1/types.js";
export * as coreV1Volume from "./gen/kubeplane/core/v1/volume.js";
export * as testingV1 from "./gen/kubeplane/testing/v1/echo.js";

/** The FileDescriptorSet of every Kubeplane proto, for gRPC server reflection. */
export function descriptorSet(): Uint8Array {
  return Buffer.from(descriptorSetBase64, "base64");
}

export {
  SelectorParseError,
  labelSelectorFromObject,
  parseFieldSelector,
  parseLabelSelector,
  type FieldOperator,
  type FieldRequirement,
  type FieldSelector,
  type LabelOperator,
  type LabelSelector,
  type LabelSelectorExpression,
  type LabelSelectorExpressionOperator,
  type LabelSelectorObject,
  type Requirement,
} from "./selectors.js";

export {
  Quantity,
  QuantityParseError,
  bytes,
  cpuMillis,
  parseQuantity,
  quantityFromBytes,
  quantityFromMillis,
  type QuantityFormat,
} from "./quantity.js";
