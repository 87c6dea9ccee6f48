// OpenAPI v3 (/openapi/v3 and one document per group version), generated from the proto schema with Kubernetes' extensions.
import { createHash } from "node:crypto";
import { apiFieldOption, fieldDocs, kindsList, messageDescriptor, servedVersions, type KindInfo } from "@kubeplane/api";
import { KUBERNETES_COMPATIBILITY, subresourcesOf, verbsOf } from "./discovery.js";

/** The kinds with OpenAPI documents: the stored kinds, and the older versions converted at the edge (metrics.k8s.io has none). */
const documentedKinds: readonly KindInfo[] = [...kindsList, ...servedVersions];
const gvPathOf = (k: KindInfo): string => (k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`);

type DescMessage = ReturnType<typeof messageDescriptor>;
type DescField = Parameters<typeof apiFieldOption>[0];
type Schema = Record<string, unknown>;

// @bufbuild/protobuf's ScalarType numbers.
const INTEGER_FORMATS: Record<number, string> = { 3: "int64", 4: "int64", 5: "int32", 6: "int64", 7: "int32", 13: "int32", 15: "int32", 16: "int64", 17: "int32", 18: "int64" };

function scalarSchema(scalar: number | undefined): Schema {
  if (scalar === undefined || scalar === 9) return { type: "string" };
  if (scalar === 8) return { type: "boolean" };
  if (scalar === 1 || scalar === 2) return { type: "number", format: "double" };
  if (scalar === 12) return { type: "string", format: "byte" };
  return { type: "integer", format: INTEGER_FORMATS[scalar] ?? "int64" };
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** Builds component schemas for a message and everything it reaches. */
class SchemaBuilder {
  readonly schemas: Record<string, Schema> = {};

  message(desc: DescMessage): Schema {
    const name = desc.typeName;
    if (name.startsWith("google.protobuf.")) return name === "google.protobuf.Timestamp" ? { type: "string", format: "date-time" } : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    if (!this.schemas[name]) {
      const schema: Schema = { type: "object", description: fieldDocs[name]?.[""] ?? "", properties: {} };
      this.schemas[name] = schema;
      const properties: Record<string, Schema> = {};
      for (const field of desc.fields) properties[field.jsonName] = this.field(name, field);
      schema["properties"] = properties;
    }
    return ref(name);
  }

  /** A shared schema under Kubernetes' own name (kubectl explain shows `<Quantity>`, `<IntOrString>`). */
  private named(name: string, schema: Schema): Schema {
    this.schemas[name] ??= schema;
    return ref(name);
  }

  private element(field: DescField, kind: string | undefined): Schema {
    if (apiFieldOption(field, "int_or_string")) {
      return this.named("io.k8s.apimachinery.pkg.util.intstr.IntOrString", { description: "IntOrString holds an integer or a string (\"8080\", \"http\", \"25%\").", "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] });
    }
    if (apiFieldOption(field, "quantity")) {
      return this.named("io.k8s.apimachinery.pkg.api.resource.Quantity", { description: "A fixed-point number with a suffix (\"500m\", \"1Gi\").", "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] });
    }
    // managedFields' fieldsV1: its text in protobuf, an object in JSON (Kubernetes' FieldsV1 is `type: object`).
    if (apiFieldOption(field, "json_object")) return { type: "object" };
    const f = field as unknown as { scalar?: number; message?: DescMessage };
    if (kind === "message" && f.message) return this.message(f.message);
    if (kind === "enum") return { type: "string" };
    return scalarSchema(f.scalar);
  }

  private field(owner: string, field: DescField): Schema {
    const f = field as unknown as { fieldKind: string; listKind?: string; mapKind?: string };
    const description = fieldDocs[owner]?.[field.jsonName] ?? "";
    let schema: Schema;
    if (f.fieldKind === "list") {
      schema = { type: "array", items: this.element(field, f.listKind) };
      const mergeKey = String(apiFieldOption(field, "merge_key") ?? "");
      const strategy = String(apiFieldOption(field, "patch_strategy") ?? "");
      if (mergeKey) schema["x-kubernetes-patch-merge-key"] = mergeKey;
      if (strategy) schema["x-kubernetes-patch-strategy"] = strategy;
      if (mergeKey) {
        schema["x-kubernetes-list-type"] = "map";
        schema["x-kubernetes-list-map-keys"] = [mergeKey];
      }
    } else if (f.fieldKind === "map") {
      schema = { type: "object", additionalProperties: this.element(field, f.mapKind) };
    } else {
      schema = this.element(field, f.fieldKind);
    }
    // A $ref cannot carry siblings in OpenAPI 3.0: Kubernetes wraps it in allOf.
    if ("$ref" in schema) return { allOf: [schema], description, default: {} };
    return { ...schema, description };
  }
}

/** The version a kind is stored (and its proto written) at. */
function storedVersionOf(info: KindInfo): string {
  return kindsList.find((k) => k.group === info.group && k.resource === info.resource)?.version ?? info.version;
}

const gvkOf = (info: KindInfo): Schema => ({ group: info.group, version: info.version, kind: info.kind });

function parameters(names: string[]): Schema[] {
  return names.map((name) => ({ name, in: "query", schema: name === "force" ? { type: "boolean" } : { type: "string", uniqueItems: true } }));
}

const json = (schema: Schema): Schema => ({ content: { "application/json": { schema } } });

function operations(info: KindInfo, schemaName: string): Record<string, Schema> {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const collection = info.namespaced ? `${base}/namespaces/{namespace}/${info.resource}` : `${base}/${info.resource}`;
  const item = `${collection}/{name}`;
  const obj = ref(schemaName);
  const op = (action: string, id: string, params: string[], extra: Schema = {}): Schema => ({
    operationId: `${action}${info.kind}`,
    "x-kubernetes-action": id,
    "x-kubernetes-group-version-kind": gvkOf(info),
    parameters: parameters(params),
    responses: { "200": { description: "OK", ...json(obj) } },
    ...extra,
  });
  const writes = ["dryRun", "fieldManager", "fieldValidation"];
  const verbs = new Set(verbsOf(info));
  const paths: Record<string, Schema> = {};
  paths[collection] = {
    ...(verbs.has("list") ? { get: op("list", "list", ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch", "allowWatchBookmarks", "sendInitialEvents", "timeoutSeconds"]) } : {}),
    post: op("create", "post", writes, { requestBody: json(obj) }),
    ...(verbs.has("deletecollection") ? { delete: op("deletecollection", "deletecollection", ["labelSelector", "fieldSelector", "dryRun", "gracePeriodSeconds", "propagationPolicy"]) } : {}),
  };
  if (verbs.has("get")) {
    paths[item] = {
      get: op("read", "get", []),
      put: op("replace", "put", writes, { requestBody: json(obj) }),
      patch: op("patch", "patch", [...writes, "force"], { requestBody: { content: Object.fromEntries(["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"].map((t) => [t, { schema: { type: "object" } }])) } }),
      delete: op("delete", "delete", ["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
    };
    for (const sub of subresourcesOf(info)) {
      if (sub.name === "status") paths[`${item}/status`] = { get: op("read", "get", []), put: op("replace", "put", writes, { requestBody: json(obj) }), patch: op("patch", "patch", [...writes, "force"]) };
    }
  }
  return paths;
}

/** The OpenAPI v3 document of one group version ("api/v1", "apis/apps/v1"), or undefined when none is served there. */
function buildDocument(gvPath: string): Schema | undefined {
  const kinds = documentedKinds.filter((k) => gvPathOf(k) === gvPath);
  if (!kinds.length) return undefined;
  const builder = new SchemaBuilder();
  const paths: Record<string, Schema> = {};
  for (const info of kinds) {
    if (info.version !== storedVersionOf(info)) {
      // A converted older version: its own fields are not in the protos, so its schema stays open
      // (kubectl reads the operations to learn that fieldValidation is supported; explain uses the preferred version).
      const name = `${info.group}.${info.version}.${info.kind}`;
      builder.schemas[name] = { type: "object", "x-kubernetes-preserve-unknown-fields": true, "x-kubernetes-group-version-kind": [gvkOf(info)] };
      Object.assign(paths, operations(info, name));
      continue;
    }
    builder.message(messageDescriptor(info.typeName));
    const schema = builder.schemas[info.typeName]!;
    schema["x-kubernetes-group-version-kind"] = [gvkOf(info)];
    Object.assign(paths, operations(info, info.typeName));
  }
  const { major, minor, patch } = KUBERNETES_COMPATIBILITY;
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: `v${major}.${minor}.${patch}` }, paths, components: { schemas: builder.schemas } };
}

const documents = new Map<string, { doc: Schema; hash: string }>();

function documentEntry(gvPath: string): { doc: Schema; hash: string } | undefined {
  let entry = documents.get(gvPath);
  if (!entry) {
    const doc = buildDocument(gvPath);
    if (!doc) return undefined;
    entry = { doc, hash: createHash("sha512").update(JSON.stringify(doc)).digest("hex").slice(0, 128).toUpperCase() };
    documents.set(gvPath, entry);
  }
  return entry;
}

/** /openapi/v3: every group version's document, with a content hash clients cache by. */
export function openApiIndex(): Schema {
  const gvPaths = [...new Set(documentedKinds.map(gvPathOf))];
  return { paths: Object.fromEntries(gvPaths.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${documentEntry(p)!.hash}` }])) };
}

/** /openapi/v3/<group version path>, or undefined. */
export function openApiDocument(gvPath: string): Schema | undefined {
  return documentEntry(gvPath)?.doc;
}
