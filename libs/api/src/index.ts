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
  labelSelectorFromObject,
  parseLabelSelector,
  type LabelOperator,
  type LabelSelector,
  type LabelSelectorExpression,
  type LabelSelectorExpressionOperator,
  type LabelSelectorObject,
  type Requirement,
} from "./label-selectors.js";
export { parseFieldSelector, type FieldOperator, type FieldRequirement, type FieldSelector } from "./field-selectors.js";
export { SelectorParseError } from "./selector-error.js";
export { pdbSelectsPod } from "./pod-disruption.js";

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

export * as apiserverV1 from "./gen/kubeplane/apiserver/v1/apiserver.js";
export { backupMetadataPath, checkSnapshotFile, readBackupMetadata, type BackupFileMetadata, type SnapshotCheck } from "./backup-file.js";
export * as appsV1Deployment from "./gen/kubeplane/apps/v1/deployment.js";
export * as appsV1ReplicaSet from "./gen/kubeplane/apps/v1/replica_set.js";
export * as appsV1DaemonSet from "./gen/kubeplane/apps/v1/daemon_set.js";
export * as appsV1StatefulSet from "./gen/kubeplane/apps/v1/stateful_set.js";
export * as appsV1ControllerRevision from "./gen/kubeplane/apps/v1/controller_revision.js";
export * as batchV1Job from "./gen/kubeplane/batch/v1/job.js";
export * as batchV1CronJob from "./gen/kubeplane/batch/v1/cron_job.js";
export * as autoscalingV2 from "./gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
export * as autoscalingV2Scale from "./gen/kubeplane/autoscaling/v2/scale.js";
export * as metricsV1beta1 from "./gen/kubeplane/metrics/v1beta1/metrics.js";
export * as authenticationV1TokenRequest from "./gen/kubeplane/authentication/v1/token_request.js";
export * as certificatesV1 from "./gen/kubeplane/certificates/v1/certificate_signing_request.js";
export * as coordinationV1 from "./gen/kubeplane/coordination/v1/lease.js";
export * as coreV1ReplicationController from "./gen/kubeplane/core/v1/replication_controller.js";
export * as coreV1ResourceQuota from "./gen/kubeplane/core/v1/resource_quota.js";
export * as discoveryV1 from "./gen/kubeplane/discovery/v1/endpoint_slice.js";
export * as networkingV1 from "./gen/kubeplane/networking/v1/ingress.js";
export * as networkingV1NetworkPolicy from "./gen/kubeplane/networking/v1/network_policy.js";
export { formatIp, formatIpCanonical, mergeRanges, parseCidr, parseIp, subtractRanges, type AddressRange, type CidrBlock } from "./cidr.js";
export * as policyV1 from "./gen/kubeplane/policy/v1/pod_disruption_budget.js";
export * as schedulingV1 from "./gen/kubeplane/scheduling/v1/priority_class.js";
export * as storageV1 from "./gen/kubeplane/storage/v1/storage_class.js";
export * as rbacV1 from "./gen/kubeplane/rbac/v1/rbac.js";
export * as authorizationV1 from "./gen/kubeplane/authorization/v1/access_review.js";
export * as authenticationV1 from "./gen/kubeplane/authentication/v1/self_subject_review.js";

export { encodeMessage } from "./proto-encode.js";
export { kindFor, kindForResource, kindForVersion, servedVersions, kindsList, nodeMetricsInfo, podMetricsInfo, resolveKind, fieldsOf, type ApiObject, type KindInfo, type MessageCodec } from "./kinds.js";
export { REGISTRY_PREFIX, namespacePrefix, parseRegistryKey, registryKey, resourcePrefix, type ParsedKey } from "./registry-keys.js";
export {
  FieldPath,
  duplicate,
  fieldErrorMessage,
  fieldErrorText,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  unknownField,
  type FieldError,
  type FieldErrorType,
} from "./field-errors.js";
export * as apiErrors from "./api-error.js";
export { POD_STREAM_NAME_KEY, POD_STREAM_NAMESPACE_KEY, podStreamTarget } from "./pod-stream.js";
export {
  ApiError,
  STATUS_METADATA_KEY,
  apiErrorFromGrpc,
  isAlreadyExists,
  isApiError,
  isBadRequest,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  toGrpcStatus,
  type ErrorSubject,
  type StatusReason,
} from "./api-error.js";
export {
  UnknownMessageTypeError,
  decodeJson,
  decodeMessageJson,
  encodeJson,
  encodeMessageJson,
  messageDescriptor,
  apiFieldOption,
  type DecodeResult,
} from "./json-codec.js";
export { mergePatch } from "./merge-patch.js";
export { checkJsonDepth, defaultJsonLimits, entityTooLarge, jsonTextDepth, jsonValueDepth, parseJsonBody, type JsonLimits } from "./json-limits.js";
export { fieldDocs } from "./gen/field-docs.js";
export { StrategicMergePatchError, strategicMergePatch } from "./strategic-merge-patch.js";
export { JsonPatchError, MAX_JSON_PATCH_OPERATIONS, applyJsonPatch } from "./json-patch.js";
export { chooseContainer } from "./pod-containers.js";
export { podNodeNameOf } from "./pod-node-name.js";

export { columnsFor, genericColumns, type TableColumns } from "./printers/columns.js";
export { selectorText, type JsonObject as PrintableObject } from "./printers/column-helpers.js";
export { eventLastSeen, podStatus } from "./printers/columns-core.js";
export { age, humanDuration } from "./printers/age.js";
export * as jsonFields from "./printers/json-fields.js";

export { podRequestsAndLimits } from "./quota/pod-resources.js";
export {
  addResources,
  exceededResources,
  isZeroResources,
  maskResources,
  prettyPrintResources,
  resourcesEqual,
  subtractNonNegative,
  type ResourceList,
} from "./quota/resource-list.js";
export { objectCountName, quotaEvaluatorFor, quotaMatches, quotaScopes, type QuotaEvaluator, type QuotaOperation, type ScopeRequirement } from "./quota/evaluators.js";
export { applyDefaults } from "./defaults/index.js";
export { validateObject } from "./validation/index.js";
export { validateStatusUpdate } from "./validation/status.js";
export { MIN_CSR_EXPIRATION_SECONDS } from "./validation/certificates.js";
export {
  BOOTSTRAPPERS_GROUP,
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BOOTSTRAP_USER_PREFIX,
  BootstrapTokenKeys,
  DEFAULT_BOOTSTRAP_EXTRA_GROUP,
  bootstrapSecretValue,
  bootstrapTokenExpiration,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  generateBootstrapToken,
  isBootstrapTokenExpired,
  isValidBootstrapExtraGroup,
  parseBootstrapToken,
  type BootstrapToken,
  type BootstrapTokenSpec,
} from "./bootstrap-token.js";
export { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "./validation/names.js";
export { validateLabels } from "./validation/object-meta.js";
export * as schedulerV1 from "./gen/kubeplane/scheduler/v1/explain.js";
export * as kubeletV1 from "./gen/kubeplane/kubelet/v1/kubelet.js";
export { RV_ORDINALS, ordinalOfResourceVersion, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "./resource-version.js";
