// Kubernetes' protobuf request bodies ("k8s\0" envelope) as JSON, for the kinds kubectl's typed clients send that way.
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";
import { apiErrors } from "@kubeplane/api";

/** The envelope's prefix. */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/**
 * A message of Kubernetes' generated.proto, by field number: [JSON name, type]. Types: "string",
 * "int", "bool", "map" (string → string), "bytesmap" (string → bytes, base64 in JSON),
 * "quantitymap" (string → Quantity), "intorstring", "strings" (repeated string), "ignore" (read
 * and dropped whatever it holds: status, timestamps the server sets) or another message's name
 * ("[]Name" repeated). A field number not listed may only hold an empty value, else the body is
 * refused (415): nothing a client sent is silently lost. Only the kinds kubectl sends as protobuf are described; their numbers follow
 * k8s.io/api's generated.proto.
 */
type FieldType = string;
const schemas: Record<string, Record<number, [string, FieldType]>> = {
  ObjectMeta: { 1: ["name", "string"], 2: ["generateName", "string"], 3: ["namespace", "string"], 5: ["uid", "string"], 6: ["resourceVersion", "string"], 7: ["generation", "int"], 8: ["creationTimestamp", "ignore"], 11: ["labels", "map"], 12: ["annotations", "map"], 13: ["ownerReferences", "[]OwnerReference"], 14: ["finalizers", "strings"] },
  OwnerReference: { 1: ["kind", "string"], 3: ["name", "string"], 4: ["uid", "string"], 5: ["apiVersion", "string"], 6: ["controller", "bool"], 7: ["blockOwnerDeletion", "bool"] },
  ResourceAttributes: { 1: ["namespace", "string"], 2: ["verb", "string"], 3: ["group", "string"], 4: ["version", "string"], 5: ["resource", "string"], 6: ["subresource", "string"], 7: ["name", "string"] },
  NonResourceAttributes: { 1: ["path", "string"], 2: ["verb", "string"] },
  SelfSubjectAccessReviewSpec: { 1: ["resourceAttributes", "ResourceAttributes"], 2: ["nonResourceAttributes", "NonResourceAttributes"] },
  SubjectAccessReviewSpec: { 1: ["resourceAttributes", "ResourceAttributes"], 2: ["nonResourceAttributes", "NonResourceAttributes"], 3: ["user", "string"], 4: ["groups", "strings"], 6: ["uid", "string"] },
  SelfSubjectAccessReview: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "SelfSubjectAccessReviewSpec"], 3: ["status", "ignore"] },
  SubjectAccessReview: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "SubjectAccessReviewSpec"], 3: ["status", "ignore"] },
  SelfSubjectReview: { 1: ["metadata", "ObjectMeta"] },
  ConfigMap: { 1: ["metadata", "ObjectMeta"], 2: ["data", "map"], 3: ["binaryData", "bytesmap"], 4: ["immutable", "bool"] },
  Secret: { 1: ["metadata", "ObjectMeta"], 2: ["data", "bytesmap"], 3: ["type", "string"], 4: ["stringData", "map"], 5: ["immutable", "bool"] },
  NamespaceSpec: { 1: ["finalizers", "strings"] },
  Namespace: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "NamespaceSpec"], 3: ["status", "ignore"] },
  Preconditions: { 1: ["uid", "string"], 2: ["resourceVersion", "string"] },
  DeleteOptions: { 1: ["gracePeriodSeconds", "int"], 2: ["preconditions", "Preconditions"], 3: ["orphanDependents", "bool"], 4: ["propagationPolicy", "string"], 5: ["dryRun", "strings"] },
  Eviction: { 1: ["metadata", "ObjectMeta"], 2: ["deleteOptions", "DeleteOptions"] },
  BoundObjectReference: { 1: ["kind", "string"], 2: ["apiVersion", "string"], 3: ["name", "string"], 4: ["uid", "string"] },
  TokenRequestSpec: { 1: ["audiences", "strings"], 3: ["boundObjectRef", "BoundObjectReference"], 4: ["expirationSeconds", "int"] },
  TokenRequest: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "TokenRequestSpec"], 3: ["status", "ignore"] },
  LocalObjectReference: { 1: ["name", "string"] },
  ServiceAccount: { 1: ["metadata", "ObjectMeta"], 3: ["imagePullSecrets", "[]LocalObjectReference"], 4: ["automountServiceAccountToken", "bool"] },
  PolicyRule: { 1: ["verbs", "strings"], 2: ["apiGroups", "strings"], 3: ["resources", "strings"], 4: ["resourceNames", "strings"], 5: ["nonResourceURLs", "strings"] },
  AggregationRule: { 1: ["clusterRoleSelectors", "[]LabelSelector"] },
  Subject: { 1: ["kind", "string"], 2: ["apiGroup", "string"], 3: ["name", "string"], 4: ["namespace", "string"] },
  RoleRef: { 1: ["apiGroup", "string"], 2: ["kind", "string"], 3: ["name", "string"] },
  Role: { 1: ["metadata", "ObjectMeta"], 2: ["rules", "[]PolicyRule"] },
  ClusterRole: { 1: ["metadata", "ObjectMeta"], 2: ["rules", "[]PolicyRule"], 3: ["aggregationRule", "AggregationRule"] },
  RoleBinding: { 1: ["metadata", "ObjectMeta"], 2: ["subjects", "[]Subject"], 3: ["roleRef", "RoleRef"] },
  LabelSelectorRequirement: { 1: ["key", "string"], 2: ["operator", "string"], 3: ["values", "strings"] },
  LabelSelector: { 1: ["matchLabels", "map"], 2: ["matchExpressions", "[]LabelSelectorRequirement"] },
  PriorityClass: { 1: ["metadata", "ObjectMeta"], 2: ["value", "int"], 3: ["globalDefault", "bool"], 4: ["description", "string"], 5: ["preemptionPolicy", "string"] },
  ResourceQuotaSpec: { 1: ["hard", "quantitymap"], 2: ["scopes", "strings"] },
  ResourceQuota: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "ResourceQuotaSpec"], 3: ["status", "ignore"] },
  PodDisruptionBudgetSpec: { 1: ["minAvailable", "intorstring"], 2: ["selector", "LabelSelector"], 3: ["maxUnavailable", "intorstring"], 4: ["unhealthyPodEvictionPolicy", "string"] },
  PodDisruptionBudget: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "PodDisruptionBudgetSpec"], 3: ["status", "ignore"] },
  // The fields `kubectl create deployment|job|cronjob|service` and `kubectl expose` fill in.
  ContainerPort: { 1: ["name", "string"], 2: ["hostPort", "int"], 3: ["containerPort", "int"], 4: ["protocol", "string"], 5: ["hostIP", "string"] },
  Container: { 1: ["name", "string"], 2: ["image", "string"], 3: ["command", "strings"], 4: ["args", "strings"], 5: ["workingDir", "string"], 6: ["ports", "[]ContainerPort"], 14: ["imagePullPolicy", "string"] },
  PodSpec: { 2: ["containers", "[]Container"], 3: ["restartPolicy", "string"], 8: ["serviceAccountName", "string"] },
  PodTemplateSpec: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "PodSpec"] },
  DeploymentSpec: { 1: ["replicas", "int"], 2: ["selector", "LabelSelector"], 3: ["template", "PodTemplateSpec"] },
  Deployment: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "DeploymentSpec"], 3: ["status", "ignore"] },
  JobSpec: { 1: ["parallelism", "int"], 2: ["completions", "int"], 6: ["template", "PodTemplateSpec"], 7: ["backoffLimit", "int"] },
  Job: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "JobSpec"], 3: ["status", "ignore"] },
  JobTemplateSpec: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "JobSpec"] },
  CronJobSpec: { 1: ["schedule", "string"], 3: ["concurrencyPolicy", "string"], 4: ["suspend", "bool"], 5: ["jobTemplate", "JobTemplateSpec"], 8: ["timeZone", "string"] },
  CronJob: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "CronJobSpec"], 3: ["status", "ignore"] },
  ServicePort: { 1: ["name", "string"], 2: ["protocol", "string"], 3: ["port", "int"], 4: ["targetPort", "intorstring"], 5: ["nodePort", "int"] },
  ServiceSpec: { 1: ["ports", "[]ServicePort"], 2: ["selector", "map"], 3: ["clusterIP", "string"], 4: ["type", "string"], 5: ["externalIPs", "strings"], 10: ["externalName", "string"] },
  Service: { 1: ["metadata", "ObjectMeta"], 2: ["spec", "ServiceSpec"], 3: ["status", "ignore"] },
};

/** apiVersion/kind of the envelope → the schema of its raw message. */
const kinds: Record<string, string> = {
  "authorization.k8s.io/v1/SelfSubjectAccessReview": "SelfSubjectAccessReview",
  "authorization.k8s.io/v1/SubjectAccessReview": "SubjectAccessReview",
  "authentication.k8s.io/v1/SelfSubjectReview": "SelfSubjectReview",
  "authentication.k8s.io/v1/TokenRequest": "TokenRequest",
  "v1/ConfigMap": "ConfigMap",
  "v1/Secret": "Secret",
  "v1/Namespace": "Namespace",
  "policy/v1/Eviction": "Eviction",
  "meta.k8s.io/v1/DeleteOptions": "DeleteOptions",
  "v1/ServiceAccount": "ServiceAccount",
  "v1/ResourceQuota": "ResourceQuota",
  "rbac.authorization.k8s.io/v1/Role": "Role",
  "rbac.authorization.k8s.io/v1/ClusterRole": "ClusterRole",
  "rbac.authorization.k8s.io/v1/RoleBinding": "RoleBinding",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "RoleBinding",
  "scheduling.k8s.io/v1/PriorityClass": "PriorityClass",
  "policy/v1/PodDisruptionBudget": "PodDisruptionBudget",
  "apps/v1/Deployment": "Deployment",
  "batch/v1/Job": "Job",
  "batch/v1/CronJob": "CronJob",
  "v1/Service": "Service",
  "v1/DeleteOptions": "DeleteOptions",
};

/** The wire reader of @bufbuild/protobuf (the generated code's), with the few calls this decoder makes. */
class Reader {
  private readonly r: BinaryReader;
  constructor(data: Uint8Array) {
    this.r = new BinaryReader(data);
  }
  get done(): boolean {
    return this.r.pos >= this.r.len;
  }
  varint(): number {
    return Number(this.r.uint64());
  }
  bytes(): Uint8Array {
    return this.r.bytes();
  }
  skip(wire: number): void {
    this.r.skip(wire as WireType);
  }
}

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");

/** A map entry (key 1, value 2). */
function entry(data: Uint8Array): [string, Uint8Array] {
  const r = new Reader(data);
  let key = "";
  let value: Uint8Array = new Uint8Array();
  while (!r.done) {
    const tag = r.varint();
    if (tag >> 3 === 1 && (tag & 7) === 2) key = text(r.bytes());
    else if (tag >> 3 === 2 && (tag & 7) === 2) value = r.bytes();
    else r.skip(tag & 7);
  }
  return [key, value];
}

/**
 * Whether a length-delimited value holds nothing: empty, or a message whose every field is blank
 * (Go's protobuf writes empty structs and empty strings of non-pointer fields: `strategy: {}`).
 */
function isBlank(data: Uint8Array, depth: number): boolean {
  if (data.length === 0) return true;
  if (depth > 8) return false;
  try {
    const r = new Reader(data);
    while (!r.done) {
      const tag = r.varint();
      const wire = tag & 7;
      if (tag < 8) return false;
      if (wire === 0 ? r.varint() !== 0 : wire === 2 ? !isBlank(r.bytes(), depth + 1) : true) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The string of length-delimited field `n` of a small message, or undefined. */
function decodeScalarMessage(data: Uint8Array, n: number): string | undefined {
  const r = new Reader(data);
  while (!r.done) {
    const tag = r.varint();
    if (tag === (n << 3) + 2) return text(r.bytes());
    r.skip(tag & 7);
  }
  return undefined;
}

function decodeMessage(schema: string, data: Uint8Array): Record<string, unknown> {
  const fields = schemas[schema]!;
  const out: Record<string, unknown> = {};
  const r = new Reader(data);
  while (!r.done) {
    const tag = r.varint();
    const field = fields[Math.floor(tag / 8)];
    if (!field || field[1] === "ignore") {
      // A field this table does not describe may only be empty: dropping a value would store another object than was sent.
      const wire = tag & 7;
      const empty = wire === 2 ? isBlank(r.bytes(), 0) : wire === 0 ? r.varint() === 0 : (r.skip(wire), false);
      if (!empty && !field) {
        throw apiErrors.apiError("UnsupportedMediaType", `the protobuf ${schema} carries field ${Math.floor(tag / 8)}, which this apiserver does not read - send application/json`);
      }
      continue;
    }
    const [name, type] = field;
    switch (type) {
      case "string":
        out[name] = text(r.bytes());
        break;
      case "int":
        out[name] = r.varint();
        break;
      case "bool":
        out[name] = r.varint() !== 0;
        break;
      case "strings":
        out[name] = [...((out[name] as string[] | undefined) ?? []), text(r.bytes())];
        break;
      case "quantitymap": {
        // map<string, Quantity>; a Quantity is a message holding its string as field 1.
        const [k, v] = entry(r.bytes());
        out[name] = { ...((out[name] as Record<string, string> | undefined) ?? {}), [k]: String(decodeScalarMessage(v, 1) ?? "") };
        break;
      }
      case "intorstring": {
        // IntOrString: type (1; 0 int, 1 string), intVal (2), strVal (3).
        const m = new Reader(r.bytes());
        let type = 0;
        let intVal = 0;
        let strVal = "";
        while (!m.done) {
          const t = m.varint();
          if (t === (1 << 3)) type = m.varint();
          else if (t === (2 << 3)) intVal = m.varint();
          else if (t === (3 << 3) + 2) strVal = text(m.bytes());
          else m.skip(t & 7);
        }
        out[name] = type === 1 ? strVal : intVal;
        break;
      }
      case "map":
      case "bytesmap": {
        const [k, v] = entry(r.bytes());
        out[name] = { ...((out[name] as Record<string, string> | undefined) ?? {}), [k]: type === "map" ? text(v) : Buffer.from(v).toString("base64") };
        break;
      }
      default:
        if (type.startsWith("[]")) out[name] = [...((out[name] as unknown[] | undefined) ?? []), decodeMessage(type.slice(2), r.bytes())];
        else out[name] = decodeMessage(type, r.bytes());
    }
  }
  return out;
}

/**
 * Decodes a protobuf request body to the JSON object it stands for (apiVersion and kind from the
 * envelope). A kind this table does not describe is UnsupportedMediaType (415), so the client
 * learns to send JSON; a malformed body is BadRequest.
 */
export function decodeK8sProtobuf(body: Buffer): Record<string, unknown> {
  try {
    const r = new Reader(body.subarray(PROTOBUF_MAGIC.length));
    let apiVersion = "";
    let kind = "";
    let raw: Uint8Array = new Uint8Array();
    while (!r.done) {
      const tag = r.varint();
      if (tag === (1 << 3) + 2) {
        const meta = new Reader(r.bytes());
        while (!meta.done) {
          const t = meta.varint();
          if (t === (1 << 3) + 2) apiVersion = text(meta.bytes());
          else if (t === (2 << 3) + 2) kind = text(meta.bytes());
          else meta.skip(t & 7);
        }
      } else if (tag === (2 << 3) + 2) raw = r.bytes();
      else r.skip(tag & 7);
    }
    const schema = kinds[`${apiVersion}/${kind}`];
    if (!schema) {
      throw apiErrors.apiError("UnsupportedMediaType", `the body of the request was in an unknown format (protobuf ${apiVersion} ${kind} is not served) - accepted media types include: application/json`);
    }
    return { apiVersion, kind, ...decodeMessage(schema, raw) };
  } catch (err) {
    if (err instanceof RangeError) throw apiErrors.badRequest(`the protobuf request body is malformed: ${err.message}`);
    throw err;
  }
}
