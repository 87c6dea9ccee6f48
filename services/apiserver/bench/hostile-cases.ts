// The hostile-manifest bench's generator: seeded, every case defective by construction (the store must not change).
import { apiserverV1 } from "@kubeplane/api";
import type { RawMethod } from "../test/raw-api-client.js";

/** One request to send: which method, the raw request message (partial), and what makes it hostile. */
export interface HostileCase {
  category: string;
  what: string;
  method: RawMethod;
  request: Record<string, unknown>;
}

type Rng = () => number;

/** mulberry32: a small seeded PRNG, so a run is reproducible from its seed. */
function rngOf(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

const R = {
  pods: { group: "", version: "v1", resource: "pods" },
  configmaps: { group: "", version: "v1", resource: "configmaps" },
  secrets: { group: "", version: "v1", resource: "secrets" },
  services: { group: "", version: "v1", resource: "services" },
  namespaces: { group: "", version: "v1", resource: "namespaces" },
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  jobs: { group: "batch", version: "v1", resource: "jobs" },
} as const;
type Res = keyof typeof R;

const JSON_ENCODING = apiserverV1.Encoding.ENCODING_JSON;
const raw = (bytes: Buffer | string) => ({ data: typeof bytes === "string" ? Buffer.from(bytes) : bytes, encoding: JSON_ENCODING });

/** A valid object of each kind; every case breaks it in one way or more. */
function valid(res: Res, ns: string, name: string): Record<string, unknown> {
  const metadata = { name, namespace: ns, labels: { app: "h" } };
  const template = { metadata: { labels: { app: "h" } }, spec: { containers: [{ name: "app", image: "nginx:1.25" }], restartPolicy: "Never" } };
  switch (res) {
    case "pods":
      return { apiVersion: "v1", kind: "Pod", metadata, spec: { containers: [{ name: "app", image: "nginx:1.25", ports: [{ containerPort: 80 }] }] } };
    case "configmaps":
      return { apiVersion: "v1", kind: "ConfigMap", metadata, data: { a: "1" } };
    case "secrets":
      return { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", data: { a: "MQ==" } };
    case "services":
      return { apiVersion: "v1", kind: "Service", metadata, spec: { selector: { app: "h" }, ports: [{ port: 80, targetPort: 8080 }] } };
    case "namespaces":
      return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
    case "deployments":
      return { apiVersion: "apps/v1", kind: "Deployment", metadata, spec: { replicas: 1, selector: { matchLabels: { app: "h" } }, template: { ...template, spec: { containers: template.spec.containers } } } };
    case "jobs":
      return { apiVersion: "batch/v1", kind: "Job", metadata, spec: { template } };
  }
}

/** Sets `path` (dot-separated, numeric segments index arrays) in a copy of `obj`; `undefined` deletes. */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(obj);
  const keys = path.split(".");
  let at: Record<string, unknown> = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== "object" || at[k] === null) at[k] = /^\d+$/.test(k) ? [] : {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return out;
}

const WRONG_TYPES: readonly [Res, string, unknown][] = [
  ["pods", "spec.containers", "app"],
  ["pods", "spec.containers", { name: "app" }],
  ["pods", "spec.containers.0.ports.0.containerPort", "eighty"],
  ["pods", "spec.containers.0.ports.0.containerPort", 2 ** 40],
  ["pods", "spec.containers.0.resources.limits.cpu", "lots"],
  ["pods", "spec.containers.0.resources.requests", ["1"]],
  ["pods", "spec.terminationGracePeriodSeconds", "soon"],
  ["pods", "spec.restartPolicy", 7],
  ["pods", "metadata.labels", [1, 2]],
  ["pods", "metadata.annotations", { a: 1 }],
  ["pods", "spec.hostNetwork", "yes"],
  ["deployments", "spec.replicas", "three"],
  ["deployments", "spec.replicas", 1.5],
  ["deployments", "spec.replicas", 2 ** 40],
  ["deployments", "spec.selector", "app=h"],
  ["deployments", "spec.template.spec.containers.0.env", { A: "1" }],
  ["services", "spec.ports.0.port", "http"],
  ["services", "spec.ports", { port: 80 }],
  ["services", "spec.selector", ["app"]],
  ["configmaps", "data", "a=1"],
  ["configmaps", "data.a", 5],
  ["configmaps", "immutable", "true"],
  ["secrets", "data", ["MQ=="]],
  ["jobs", "spec.backoffLimit", "6"],
  ["jobs", "spec.template.spec.containers.0.args", "sleep 1"],
];

const INVALID_VALUES: readonly [Res, string, unknown][] = [
  ["deployments", "spec.replicas", -1],
  ["deployments", "spec.selector.matchLabels.app", "other"],
  ["services", "spec.ports.0.port", 70000],
  ["services", "spec.ports.0.port", 0],
  ["services", "spec.type", "Teleport"],
  ["pods", "spec.containers.0.ports.0.containerPort", 0],
  ["pods", "spec.restartPolicy", "Sometimes"],
  ["pods", "spec.containers.0.imagePullPolicy", "Maybe"],
  ["pods", "spec.containers.0.resources.requests.cpu", "-1"],
  ["jobs", "spec.backoffLimit", -5],
  ["jobs", "spec.template.spec.restartPolicy", "Always"],
];

const MISSING: readonly [Res, string][] = [
  ["pods", "spec.containers"],
  ["pods", "spec.containers.0.name"],
  ["pods", "spec.containers.0.image"],
  ["pods", "metadata.name"],
  ["deployments", "spec.selector"],
  ["deployments", "spec.template.spec.containers"],
  ["services", "spec.ports"],
  ["configmaps", "metadata.name"],
  ["secrets", "metadata.name"],
  ["jobs", "spec.template.spec.containers"],
];

const BAD_NAMES = ["Bad_Name", "-lead", "trail-", "a..b", "UPPER", "sp ace", "é", "🦄", "\u202eevil", "a/b", "..", ".", "x".repeat(254), "\u0000nul", "tab\t", "e\u0301", "\ud800", "name\n"];
const BAD_LABEL_KEYS = ["bad key", "a/b/c", "-x", "x".repeat(64), "Ünïcode", "/empty-prefix", `${"p".repeat(254)}/k`];
const BAD_LABEL_VALUES = ["sp ace", "x".repeat(64), "-x", "x-", "🦄", "a/b"];
const UNKNOWN_FIELD_PATHS = ["spec.containerz", "metadata.nam", "spek", "spec.containers.0.imaje", "status.phasee", "metadata.labels.x.y", "spec.replicas.count", "apiVersion.v"];
const ODD_UNICODE = ["\u202e", "\u200b", "\ufeff", "\ud83d", "\u0000", "\u{10ffff}", "ℌ", "ﬁ", "Ａ"];

function nested(depth: number, shape: "object" | "array"): string {
  return shape === "object" ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

/**
 * `count` hostile requests for namespace `ns` from `seed`: creates, updates and patches whose every
 * body is defective (wrong types, invalid values, missing required fields, unknown fields, bad
 * names and labels, bad base64, deep nesting, huge strings, odd unicode, wrong kinds, garbage
 * bytes), patches of every type, unknown resources. The fixtures `configmaps/target` and
 * `deployments/target` exist in `ns`.
 */
export function hostileCases(count: number, seed: number, ns: string): HostileCase[] {
  const rng = rngOf(seed);
  const cases: HostileCase[] = [];
  const create = (category: string, what: string, res: Res, body: Buffer | string, namespace = ns): HostileCase => ({
    category,
    what,
    method: "create",
    request: { resource: R[res], namespace: res === "namespaces" ? "" : namespace, object: raw(body), accept: JSON_ENCODING },
  });
  const name = (): string => `h-${int(rng, 0, 1e9).toString(36)}`;
  const makers: (() => HostileCase)[] = [
    () => {
      const [res, path, value] = pick(rng, WRONG_TYPES);
      return create("wrong-type", `${res} ${path}=${JSON.stringify(value)}`, res, JSON.stringify(setPath(valid(res, ns, name()), path, value)));
    },
    () => {
      const [res, path, value] = pick(rng, INVALID_VALUES);
      return create("invalid-value", `${res} ${path}=${JSON.stringify(value)}`, res, JSON.stringify(setPath(valid(res, ns, name()), path, value)));
    },
    () => {
      const [res, path] = pick(rng, MISSING);
      return create("missing-required", `${res} without ${path}`, res, JSON.stringify(setPath(valid(res, ns, name()), path, undefined)));
    },
    () => {
      const res = pick(rng, Object.keys(R) as Res[]);
      const path = pick(rng, UNKNOWN_FIELD_PATHS);
      return create("unknown-field", `${res} ${path}`, res, JSON.stringify(setPath(valid(res, ns, name()), path, pick(rng, [1, "x", {}, [], true]))));
    },
    () => {
      const res = pick(rng, ["pods", "configmaps", "namespaces", "deployments"] as const);
      const bad = pick(rng, BAD_NAMES);
      return create("invalid-name", `${res} name ${JSON.stringify(bad.slice(0, 20))}`, res, JSON.stringify(valid(res, ns, bad)));
    },
    () => {
      const res = pick(rng, ["pods", "configmaps", "services"] as const);
      const key = rng() < 0.5 ? pick(rng, BAD_LABEL_KEYS) : "app";
      const value = key === "app" ? pick(rng, BAD_LABEL_VALUES) : "v";
      return create("invalid-label", `${res} label ${JSON.stringify(key.slice(0, 20))}=${JSON.stringify(value.slice(0, 20))}`, res, JSON.stringify(setPath(valid(res, ns, name()), "metadata.labels", { [key]: value })));
    },
    () => {
      const value = pick(rng, ["!!!", "abc", "====", "YQ=", "a b", "Zm9v\u0000", "🦄🦄🦄🦄", "-_-_"]);
      return create("bad-base64", `secret data ${JSON.stringify(value)}`, "secrets", JSON.stringify(setPath(valid("secrets", ns, name()), "data", { k: value })));
    },
    () => {
      const depth = rng() < 0.8 ? int(rng, 101, 2000) : int(rng, 10_000, 200_000);
      const shape = pick(rng, ["object", "array"] as const);
      const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name()}","namespace":"${ns}"},"data":${nested(depth, shape)}}`;
      return create("deep-nesting", `ConfigMap data nested ${depth} deep (${shape}s)`, "configmaps", body);
    },
    () => {
      const kind = int(rng, 0, 9);
      if (kind === 0) {
        // Over the 3 MiB body limit: RequestEntityTooLarge.
        const size = int(rng, 3 * 1024 * 1024 + 1, 3.8 * 1024 * 1024);
        return create("huge-string", `ConfigMap value of ${size} bytes`, "configmaps", JSON.stringify(setPath(valid("configmaps", ns, name()), "data.a", "x".repeat(size))));
      }
      if (kind <= 2) {
        // Under the body limit, over the 1.5 MiB object limit.
        const size = int(rng, 1.6 * 1024 * 1024, 2.9 * 1024 * 1024);
        return create("huge-string", `ConfigMap value of ${size} bytes`, "configmaps", JSON.stringify(setPath(valid("configmaps", ns, name()), "data.a", "y".repeat(size))));
      }
      const size = int(rng, 254, 200_000);
      return create("huge-string", `a name of ${size} characters`, pick(rng, ["configmaps", "pods"] as const), JSON.stringify(valid("configmaps", ns, "n".repeat(size))));
    },
    () => {
      const odd = pick(rng, ODD_UNICODE);
      const how = int(rng, 0, 3);
      if (how === 0) return create("odd-unicode", `name with U+${odd.codePointAt(0)!.toString(16)}`, "configmaps", JSON.stringify(valid("configmaps", ns, `a${odd}b`)));
      if (how === 1) return create("odd-unicode", "a byte-order mark before the JSON", "configmaps", `\ufeff${JSON.stringify(valid("configmaps", ns, name()))}`);
      if (how === 2) {
        // Invalid UTF-8 in the name: decoded as U+FFFD, which no name allows.
        const body = Buffer.concat([Buffer.from(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`b","namespace":"${ns}"}}`)]);
        return create("odd-unicode", "invalid UTF-8 in the name", "configmaps", body);
      }
      return create("odd-unicode", `label value with U+${odd.codePointAt(0)!.toString(16)}`, "pods", JSON.stringify(setPath(valid("pods", ns, name()), "metadata.labels", { app: `x${odd}` })));
    },
    () => {
      const res = pick(rng, ["pods", "configmaps", "deployments"] as const);
      const other = pick(rng, [
        { apiVersion: "v2", kind: "Pod" },
        { apiVersion: "apps/v1", kind: "ConfigMap" },
        { apiVersion: "v1", kind: "Deployment" },
        { apiVersion: "extensions/v1beta1", kind: "Deployment" },
      ]);
      return create("wrong-kind", `${other.apiVersion} ${other.kind} sent as ${res}`, res, JSON.stringify({ ...valid(res, ns, name()), ...other }));
    },
    () => {
      const body = pick(rng, ["", "{", "null", "[]", "42", '"str"', "{}", "{'a':1}", '{"a":1,}', "NaN", "\u0000", "{\"metadata\":}"]);
      const res = pick(rng, ["pods", "configmaps"] as const);
      return create("not-json", `body ${JSON.stringify(body)}`, res, body);
    },
    () => {
      const bytes = Buffer.from(Array.from({ length: int(rng, 1, 300) }, () => int(rng, 0, 255)));
      return {
        category: "protobuf-garbage",
        what: `${bytes.length} random protobuf bytes`,
        method: "create",
        request: { resource: R.pods, namespace: ns, object: { data: bytes, encoding: apiserverV1.Encoding.ENCODING_PROTOBUF }, accept: JSON_ENCODING },
      };
    },
    () => {
      // Patches of every type: merge patches that break the object, other types, patches of nothing.
      const kind = int(rng, 0, 9);
      const target = pick(rng, ["configmaps", "deployments"] as const);
      const patch = (what: string, body: Buffer | string, patchType = "merge", name = "target"): HostileCase => ({
        category: ["merge", "json", "strategic"].includes(patchType) ? `patch-${patchType}` : "patch-other-type",
        what,
        method: "patch",
        request: { resource: R[target], namespace: ns, name, patch: typeof body === "string" ? Buffer.from(body) : body, patchType, accept: JSON_ENCODING },
      });
      const [, path, value] = target === "deployments" ? pick(rng, WRONG_TYPES.filter(([r]) => r === "deployments")) : (["configmaps", "data.a", pick(rng, [5, true, {}, [1]])] as const);
      switch (kind) {
        case 0:
        case 1:
          return patch(`deep merge patch`, `{"metadata":{"labels":${nested(int(rng, 101, 100_000), "object")}}}`);
        case 2:
          return patch(`merge patch ${path}=${JSON.stringify(value)}`, JSON.stringify(setPath({}, path, value)));
        case 3:
          return patch("merge patch with an unknown field", JSON.stringify({ spec: { containerz: [] }, datum: 1 }));
        case 4:
          return patch("merge patch with an invalid label", JSON.stringify({ metadata: { labels: { [pick(rng, BAD_LABEL_KEYS)]: "v" } } }));
        case 5:
          return patch("merge patch that is not an object", pick(rng, ["[1,2]", "null", "3", '"x"', "{", ""]));
        case 6:
          return patch("merge patch of a missing object", JSON.stringify({ metadata: { labels: { a: "b" } } }), "merge", `missing-${name()}`);
        case 7:
          return patch("JSON patch", JSON.stringify([{ op: pick(rng, ["add", "remove", "replace", "move", "test"]), path: pick(rng, ["/metadata/name", "/spec/replicas", "/data/a", "/nope/x"]), value: pick(rng, [1, "x", null, {}]) }]), "json");
        case 8:
          return patch("strategic merge patch", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "app", $patch: pick(rng, ["delete", "replace", "bogus"]) }] } } } }), "strategic");
        default:
          return patch("apply patch", JSON.stringify(valid(target, ns, "target")), pick(rng, ["apply", "application/apply-patch+yaml", "yaml", "\u0000"]));
      }
    },
    () => {
      // Updates of the fixture with a defective body.
      const target = pick(rng, ["configmaps", "deployments"] as const);
      // A status update drops metadata and spec changes (as Kubernetes), so it gets only bodies defective for any write.
      const anyWrite = [
        ["a stale resourceVersion", JSON.stringify(setPath(valid(target, ns, "target"), "metadata.resourceVersion", "1"))],
        ["an unknown field", JSON.stringify(setPath(valid(target, ns, "target"), "spek", {}))],
        ["deep nesting", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target","namespace":"${ns}"},"data":${nested(int(rng, 101, 5000), "array")}}`],
      ] as const;
      const specWrite = [
        ["an invalid label", JSON.stringify(setPath(valid(target, ns, "target"), "metadata.labels", { "bad key": "v" }))],
        ["no name", JSON.stringify(setPath(valid(target, ns, "target"), "metadata.name", ""))],
      ] as const;
      const method = pick(rng, ["update", "updateStatus"] as const);
      const [what, body] = pick<readonly [string, string]>(rng, method === "update" ? [...anyWrite, ...specWrite] : anyWrite);
      return { category: "update", what: `${method} ${target}/target with ${what}`, method, request: { resource: R[target], namespace: ns, object: raw(body), accept: JSON_ENCODING } };
    },
    () => {
      const resource = pick(rng, [
        { group: "", version: "v1", resource: "widgets" },
        { group: "evil.io", version: "v1", resource: "pods" },
        { group: "", version: "v1", resource: "" },
        { group: "apps", version: "v9", resource: "deployments" },
      ]);
      return { category: "unknown-resource", what: `${resource.group}/${resource.version}/${resource.resource}`, method: "create", request: { resource, namespace: ns, object: raw(JSON.stringify(valid("configmaps", ns, name()))), accept: JSON_ENCODING } };
    },
  ];
  for (let i = 0; i < count; i++) cases.push(pick(rng, makers)());
  return cases;
}
