// OpenAPI v2 (/openapi/v2), as JSON and as gnostic's openapi_v2.Document protobuf, converted from the v3 documents (one source).
import { createHash } from "node:crypto";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { stringify as toYaml } from "yaml";
import { openApiDocument, openApiIndex } from "./openapi.js";

/** The media types kubectl asks /openapi/v2 for (gnostic's openapi_v2.Document), and the one the reply names (Go's mime parser refuses the "@"). */
export const OPENAPI_V2_PROTOBUF_ACCEPTED = ["application/com.github.proto-openapi.spec.v2@v1.0+protobuf", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"];
export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

type Schema = Record<string, unknown>;
const V3_REF = "#/components/schemas/";

/** A v3 schema as v2 writes it: refs under #/definitions, `allOf: [ref]` as the ref itself, IntOrString and Quantity as Kubernetes' v2 spells them. */
function schemaV2(s: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === "$ref") out[key] = String(value).replace(V3_REF, "#/definitions/");
    else if (key === "allOf" && Array.isArray(value) && value.length === 1) Object.assign(out, schemaV2(value[0] as Schema));
    else if (key === "default" && s["allOf"]) continue;
    else if (key === "anyOf") Object.assign(out, { type: "string", format: "int-or-string" });
    else if (key === "x-kubernetes-preserve-unknown-fields") out["type"] ??= "object";
    else if (key === "properties") out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, schemaV2(v)]));
    else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) out[key] = schemaV2(value as Schema);
    else out[key] = value;
  }
  return out;
}

const v2Parameter = (p: Schema): Schema => ({ name: p["name"], in: p["in"], type: (p["schema"] as Schema | undefined)?.["type"] ?? "string", uniqueItems: true });

function operationV2(op: Schema): Schema {
  const { parameters, requestBody, responses, ...rest } = op as { parameters?: Schema[]; requestBody?: Schema; responses?: Record<string, Schema> } & Schema;
  const params = (parameters ?? []).map(v2Parameter);
  const content = (requestBody?.["content"] ?? {}) as Record<string, { schema: Schema }>;
  const bodySchema = content["application/json"]?.schema;
  if (bodySchema) params.unshift({ name: "body", in: "body", required: true, schema: schemaV2(bodySchema) });
  const consumes = Object.keys(content);
  const out: Schema = { ...rest, consumes: consumes.length ? consumes : ["*/*"], produces: ["application/json", "application/yaml"], parameters: params, responses: {} };
  for (const [code, r] of Object.entries(responses ?? {})) {
    const schema = (r["content"] as Record<string, { schema: Schema }> | undefined)?.["application/json"]?.schema;
    (out["responses"] as Schema)[code] = { description: r["description"], ...(schema ? { schema: schemaV2(schema) } : {}) };
  }
  return out;
}

let cached: { json: Schema; proto: Uint8Array; etag: string } | undefined;

/** The v2 document (built once: every served group version's schemas and paths). */
export function openApiV2(): { json: Schema; proto: Uint8Array; etag: string } {
  if (cached) return cached;
  const definitions: Record<string, Schema> = {};
  const paths: Record<string, Schema> = {};
  let info: Schema = {};
  for (const gvPath of Object.keys((openApiIndex()["paths"] ?? {}) as Record<string, unknown>)) {
    const doc = openApiDocument(gvPath)!;
    info = doc["info"] as Schema;
    for (const [name, s] of Object.entries((doc["components"] as { schemas: Record<string, Schema> }).schemas)) definitions[name] ??= schemaV2(s);
    for (const [path, item] of Object.entries(doc["paths"] as Record<string, Record<string, Schema>>)) {
      paths[path] = Object.fromEntries(Object.entries(item).map(([method, op]) => [method, operationV2(op)]));
    }
  }
  const json: Schema = { swagger: "2.0", info, paths, definitions };
  const proto = encodeDocument(json);
  cached = { json, proto, etag: `"${createHash("sha512").update(proto).digest("hex").slice(0, 128).toUpperCase()}"` };
  return cached;
}

// gnostic's openapi_v2 field numbers (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto).
const LD = WireType.LengthDelimited;

function str(w: BinaryWriter, field: number, v: unknown): void {
  if (typeof v === "string" && v !== "") w.tag(field, LD).string(v);
}

function msg(w: BinaryWriter, field: number, write: (w: BinaryWriter) => void): void {
  w.tag(field, LD).fork();
  write(w);
  w.join();
}

/** Vendor extensions (`x-…`) as NamedAny{name, Any{yaml}}, as Kubernetes encodes them. */
function extensions(w: BinaryWriter, field: number, obj: Schema): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!k.startsWith("x-")) continue;
    msg(w, field, (n) => {
      str(n, 1, k);
      msg(n, 2, (a) => str(a, 2, toYaml(v)));
    });
  }
}

function schema(w: BinaryWriter, s: Schema): void {
  str(w, 1, s["$ref"]);
  str(w, 2, s["format"]);
  str(w, 4, s["description"]);
  for (const r of (s["required"] as string[] | undefined) ?? []) str(w, 19, r);
  const additional = s["additionalProperties"];
  if (additional && typeof additional === "object") msg(w, 21, (a) => msg(a, 1, (x) => schema(x, additional as Schema)));
  if (typeof s["type"] === "string") msg(w, 22, (t) => str(t, 1, s["type"]));
  if (s["items"]) msg(w, 23, (i) => msg(i, 1, (x) => schema(x, s["items"] as Schema)));
  const props = s["properties"] as Record<string, Schema> | undefined;
  if (props) {
    msg(w, 25, (p) => {
      for (const [name, value] of Object.entries(props)) {
        msg(p, 1, (ns) => {
          str(ns, 1, name);
          msg(ns, 2, (x) => schema(x, value));
        });
      }
    });
  }
  extensions(w, 31, s);
}

function parameter(w: BinaryWriter, p: Schema): void {
  // ParametersItem{parameter: Parameter{body_parameter | non_body_parameter{query_parameter_sub_schema}}}
  msg(w, 1, (param) => {
    if (p["in"] === "body") {
      msg(param, 1, (b) => {
        str(b, 2, p["name"]);
        str(b, 3, "body");
        if (p["required"]) b.tag(4, WireType.Varint).bool(true);
        msg(b, 5, (x) => schema(x, p["schema"] as Schema));
      });
      return;
    }
    msg(param, 2, (nb) =>
      msg(nb, 3, (q) => {
        str(q, 2, p["in"]);
        str(q, 4, p["name"]);
        str(q, 6, p["type"]);
        if (p["uniqueItems"]) q.tag(20, WireType.Varint).bool(true);
      }),
    );
  });
}

function operation(w: BinaryWriter, op: Schema): void {
  str(w, 3, op["description"]);
  str(w, 5, op["operationId"]);
  for (const t of (op["produces"] as string[] | undefined) ?? []) str(w, 6, t);
  for (const t of (op["consumes"] as string[] | undefined) ?? []) str(w, 7, t);
  for (const p of (op["parameters"] as Schema[] | undefined) ?? []) msg(w, 8, (x) => parameter(x, p));
  msg(w, 9, (rs) => {
    for (const [code, r] of Object.entries((op["responses"] ?? {}) as Record<string, Schema>)) {
      msg(rs, 1, (named) => {
        str(named, 1, code);
        // ResponseValue{response: Response{description, schema: SchemaItem{schema}}}
        msg(named, 2, (rv) =>
          msg(rv, 1, (resp) => {
            str(resp, 1, r["description"]);
            if (r["schema"]) msg(resp, 2, (si) => msg(si, 1, (x) => schema(x, r["schema"] as Schema)));
          }),
        );
      });
    }
  });
  extensions(w, 13, op);
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function encodeDocument(doc: Schema): Uint8Array {
  const w = new BinaryWriter();
  str(w, 1, doc["swagger"]);
  const info = doc["info"] as Schema;
  msg(w, 2, (i) => {
    str(i, 1, info["title"]);
    str(i, 2, info["version"]);
  });
  msg(w, 8, (ps) => {
    for (const [path, item] of Object.entries(doc["paths"] as Record<string, Record<string, Schema>>)) {
      msg(ps, 2, (np) => {
        str(np, 1, path);
        msg(np, 2, (pi) => {
          for (const [method, op] of Object.entries(item)) if (METHOD_FIELDS[method]) msg(pi, METHOD_FIELDS[method]!, (o) => operation(o, op));
        });
      });
    }
  });
  msg(w, 9, (ds) => {
    for (const [name, s] of Object.entries(doc["definitions"] as Record<string, Schema>)) {
      msg(ds, 1, (ns) => {
        str(ns, 1, name);
        msg(ns, 2, (x) => schema(x, s));
      });
    }
  });
  return w.finish();
}
