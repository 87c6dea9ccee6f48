// Server-side apply's field ownership with real kubectl (managedFields, conflicts, force, pruning, scale, client-side → server-side
// migration), a gRPC write's Update entry, and /openapi/v2 (JSON and gnostic protobuf; kubectl explain reads it). One cluster.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { parse as parseYaml } from "yaml";
import { kindForResource } from "@kubeplane/api";
import { clientTls, testPki } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";
import { kubectl, restRequest, writeKubeconfig } from "./rest-support.js";

await testPki();

let cluster: TestCluster;
let url: string;
let kc: { path: string; dir: string };
before(async () => {
  cluster = await startTestCluster();
  url = cluster.apiservers[0]!.restUrl!;
  kc = writeKubeconfig(url);
});
after(async () => {
  await cluster?.stop();
});

interface Entry {
  manager: string;
  operation: string;
  time: string;
  apiVersion: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}
type Obj = Record<string, unknown>;

const run = async (args: string[], input?: string): Promise<string> => {
  const r = await kubectl(kc, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
};

function deployment(name: string, spec: { replicas?: number; labels?: Record<string, string>; env?: Array<{ name: string; value: string }> } = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name, ...spec.labels } },
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "nginx:1.27", ...(spec.env ? { env: spec.env } : {}) }] } },
    },
  });
}

async function getDeployment(name: string): Promise<{ metadata: { labels?: Record<string, string>; managedFields?: Entry[]; resourceVersion: string }; spec: Obj }> {
  return parseYaml(await run(["get", "deploy", name, "-o", "yaml", "--show-managed-fields"])) as never;
}

const ownsReplicas = (e: Entry | undefined): boolean => !!(e?.fieldsV1["f:spec"] as Obj | undefined)?.["f:replicas"];

describe("server-side apply with kubectl", () => {
  test("apply twice (second unchanged) records kubectl's Apply entry; another manager's replicas conflict until forced", async () => {
    assert.match(await run(["apply", "--server-side", "-f", "-"], deployment("ssa", { replicas: 2 })), /deployment\.apps\/ssa serverside-applied/);
    const first = await getDeployment("ssa");
    await run(["apply", "--server-side", "-f", "-"], deployment("ssa", { replicas: 2 }));
    const second = await getDeployment("ssa");
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion, "an unchanged apply writes nothing");
    const applied = second.metadata.managedFields!.find((e) => e.manager === "kubectl");
    assert.deepEqual([applied?.operation, applied?.apiVersion], ["Apply", "apps/v1"]);
    assert.ok(ownsReplicas(applied));
    assert.deepEqual(Object.keys((((applied!.fieldsV1["f:spec"] as Obj)["f:template"] as Obj)["f:spec"] as Obj)["f:containers"] as Obj), ['k:{"name":"main"}']);
    // Without --show-managed-fields kubectl hides them, as it does against Kubernetes.
    assert.doesNotMatch(await run(["get", "deploy", "ssa", "-o", "yaml"]), /managedFields/);

    const conflict = await kubectl(kc, ["apply", "--server-side", "--field-manager=other", "-f", "-"], deployment("ssa", { replicas: 3 }));
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    assert.equal((await getDeployment("ssa")).spec["replicas"], 2, "a conflicting apply changes nothing");

    await run(["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], deployment("ssa", { replicas: 3 }));
    const forced = await getDeployment("ssa");
    assert.equal(forced.spec["replicas"], 3);
    assert.ok(ownsReplicas(forced.metadata.managedFields!.find((e) => e.manager === "other")));
    assert.ok(!ownsReplicas(forced.metadata.managedFields!.find((e) => e.manager === "kubectl")), "force moved the field to the new owner");
  });

  test("a field dropped from the applied configuration is removed unless another manager owns it", async () => {
    await run(["apply", "--server-side", "-f", "-"], deployment("prune", { replicas: 1, labels: { tier: "web" }, env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }));
    await run(["apply", "--server-side", "--field-manager=keeper", "-f", "-"], JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "prune", labels: { tier: "web" } } }));
    await run(["apply", "--server-side", "-f", "-"], deployment("prune", { replicas: 1, env: [{ name: "A", value: "1" }] }));
    const obj = await getDeployment("prune");
    const env = ((obj.spec["template"] as Obj)["spec"] as { containers: Array<{ env?: Array<{ name: string }> }> }).containers[0]!.env;
    assert.deepEqual(env?.map((e) => e.name), ["A"], "B, applied before and no longer, is gone");
    assert.equal(obj.metadata.labels?.["tier"], "web", "the label another manager applies stays");
  });

  test("kubectl scale and kubectl edit record Update entries for their own managers", async () => {
    await run(["apply", "--server-side", "-f", "-"], deployment("scaled", { replicas: 1 }));
    await run(["scale", "deploy", "scaled", "--replicas=4"]);
    const scaled = await getDeployment("scaled");
    // kubectl scale names no field manager: the User-Agent's product is used, as by Kubernetes.
    const scaler = scaled.metadata.managedFields!.find((e) => e.subresource === "scale");
    assert.deepEqual([scaler?.manager, scaler?.operation], ["kubectl", "Update"]);
    assert.ok(ownsReplicas(scaler));
    assert.ok(!ownsReplicas(scaled.metadata.managedFields!.find((e) => e.manager === "kubectl" && e.operation === "Apply")), "the update took replicas from the applier");
    const conflict = await kubectl(kc, ["apply", "--server-side", "-f", "-"], deployment("scaled", { replicas: 2 }));
    assert.match(conflict.stderr, /conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    const edit = await kubectl(kc, ["edit", "deploy", "scaled"], undefined, { EDITOR: "sed -i s/replicas:\\ 4/replicas:\\ 5/" });
    assert.equal(edit.code, 0, edit.stderr);
    const edited = (await getDeployment("scaled")).metadata.managedFields!.find((e) => e.manager === "kubectl-edit");
    assert.equal(edited?.operation, "Update");
    assert.ok(ownsReplicas(edited));
  });

  test("client-side apply, then server-side apply: kubectl migrates the ownership and later applies prune as usual", async () => {
    await run(["apply", "-f", "-"], deployment("migrate", { replicas: 2, labels: { tier: "web" } }));
    const csa = await getDeployment("migrate");
    assert.ok(ownsReplicas(csa.metadata.managedFields!.find((e) => e.manager === "kubectl-client-side-apply" && e.operation === "Update")));
    await run(["apply", "--server-side", "-f", "-"], deployment("migrate", { replicas: 2, labels: { tier: "web" } }));
    const migrated = await getDeployment("migrate");
    // kubectl moved kubectl-client-side-apply's fields to its Apply entry, and keeps the last-applied annotation as its own applier.
    // Both are Apply entries: Kubernetes orders them by time (whole seconds), then by manager, so the order depends on whether a second turned between them.
    const entries = migrated.metadata.managedFields!;
    assert.deepEqual(entries.map((e) => `${e.manager}/${e.operation}`).sort(), ["kubectl-last-applied/Apply", "kubectl/Apply"]);
    const order = (e: Entry): string => `${e.time}\u0000${e.manager}`;
    assert.ok(order(entries[0]!) < order(entries[1]!), `entries in Kubernetes' order: ${JSON.stringify(entries.map((e) => [e.time, e.manager]))}`);
    assert.ok(ownsReplicas(entries.find((e) => e.manager === "kubectl")));
    await run(["apply", "--server-side", "-f", "-"], deployment("migrate", { replicas: 2 }));
    assert.equal((await getDeployment("migrate")).metadata.labels?.["tier"], undefined, "the label the client-side apply set is now the applier's to drop");
  });

  test("managedFields: [] in an update clears them; invalid ones are replaced by the stored ones", async () => {
    await run(["patch", "deploy", "ssa", "--type=merge", "-p", '{"metadata":{"managedFields":[{"manager":"x","operation":"Bogus","fieldsType":"FieldsV1","fieldsV1":{}}]}}']);
    assert.ok((await getDeployment("ssa")).metadata.managedFields!.some((e) => e.manager === "kubectl"), "invalid entries are not stored");
    await run(["patch", "deploy", "ssa", "--type=merge", "-p", '{"metadata":{"managedFields":[]}}']);
    assert.equal((await getDeployment("ssa")).metadata.managedFields, undefined);
  });

  test("a gRPC write records an Update entry for its client's User-Agent product", async () => {
    const cm = await cluster.client.json.create(kindForResource("", "configmaps")!, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "grpc-written", namespace: "default" }, data: { a: "b" } });
    const entries = (cm as { metadata: { managedFields: Entry[] } }).metadata.managedFields;
    assert.deepEqual(entries.map((e) => [e.manager, e.operation]), [["kubeplane-client", "Update"]]);
    assert.deepEqual(entries[0]!.fieldsV1, { "f:data": { ".": {}, "f:a": {} } });
  });
});

/** GET of raw bytes as the admin. */
function fetchBytes(path: string, accept: string): Promise<{ status: number; type: string; body: Buffer }> {
  const tls = clientTls("admin");
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), headers: { Accept: accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The length-delimited fields of one protobuf message, by number (gnostic's openapi_v2 messages use no other wire types here but varints). */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (type === WireType.LengthDelimited) out.set(no, [...(out.get(no) ?? []), r.bytes()]);
    else r.skip(type);
  }
  return out;
}
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("utf8");

describe("/openapi/v2", () => {
  test("kubectl explain reads the v2 document", async () => {
    const explain = await run(["explain", "--output=plaintext-openapiv2", "deployment.spec.replicas"]);
    assert.match(explain, /KIND:\s+Deployment/);
    assert.match(explain, /FIELD:\s+replicas <integer>/);
  });

  test("the protobuf document decodes to the JSON one: definitions with their group-version-kind and merge keys", async () => {
    const json = JSON.parse((await restRequest(`${url}/openapi/v2`)).body) as { swagger: string; definitions: Record<string, Obj> };
    assert.equal(json.swagger, "2.0");
    const proto = await fetchBytes("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
    assert.equal(proto.status, 200);
    assert.equal(proto.type, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    const doc = fields(proto.body);
    assert.equal(text(doc.get(1)?.[0]), "2.0");
    // Document.definitions (9) → NamedSchema (1) {name 1, value 2}.
    const named = new Map(fields(doc.get(9)![0]!).get(1)!.map((b) => fields(b)).map((f) => [text(f.get(1)?.[0]), f.get(2)![0]!]));
    assert.deepEqual([...named.keys()].sort(), Object.keys(json.definitions).sort());
    const deploymentName = Object.keys(json.definitions).find((n) => JSON.stringify(json.definitions[n]!["x-kubernetes-group-version-kind"]) === '[{"group":"apps","version":"v1","kind":"Deployment"}]')!;
    // Schema.vendor_extension (31) → NamedAny {name 1, value: Any {yaml 2}}.
    const ext = fields(named.get(deploymentName)!).get(31)!.map((b) => fields(b));
    const gvk = ext.find((f) => text(f.get(1)?.[0]) === "x-kubernetes-group-version-kind")!;
    assert.deepEqual(parseYaml(text(fields(gvk.get(2)![0]!).get(2)?.[0])), [{ group: "apps", version: "v1", kind: "Deployment" }]);
    const podSpec = Object.entries(json.definitions).find(([n]) => n.endsWith(".PodSpec"))![1] as { properties: Record<string, Obj> };
    assert.deepEqual([podSpec.properties["containers"]!["x-kubernetes-patch-merge-key"], podSpec.properties["containers"]!["x-kubernetes-patch-strategy"]], ["name", "merge"]);
  });
});
