// Unit tests of the operator's admin kubeconfig: every control-plane machine's REST API, the admin's credentials embedded, 0600.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { writeAdminKubeconfig } from "./admin-kubeconfig.js";
import { renderMachineFiles } from "./render-bundles.js";

const values = [fileURLToPath(new URL("../test/fixtures/three-plus-two.yaml", import.meta.url))];

test("admin.kubeconfig: a context per control-plane apiserver's REST API (the chart's --rest-listen), the first the current one; credentials embedded; 0600", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-admin-kubeconfig-"));
  try {
    for (const [f, pem] of [["ca.crt", "CA"], ["admin.crt", "CERT"], ["admin.key", "KEY"]]) await writeFile(join(dir, f!), pem!);
    const { bundles, values: v } = await renderMachineFiles({ valueFiles: values, set: ["ports.apiserverRest=7444"] });
    const path = await writeAdminKubeconfig(bundles, v, dir, dir);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const doc = parse(await readFile(path, "utf8")) as {
      clusters: Array<{ name: string; cluster: Record<string, string> }>;
      contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
      users: Array<{ name: string; user: Record<string, string> }>;
      "current-context": string;
    };
    // The chart's apiserver units listen where the kubeconfig points.
    const cp1Unit = bundles[0]!.files.find((f) => f.path.endsWith("/kp-apiserver.service"))!.content;
    const server = doc.clusters[0]!.cluster["server"]!;
    assert.ok(cp1Unit.includes(`--rest-listen=${server.replace("https://", "")}`), `${server} is cp-1's --rest-listen`);
    assert.deepEqual(doc.clusters.map((c) => c.name), ["kubeplane", "kubeplane-cp-1", "kubeplane-cp-2", "kubeplane-cp-3"]);
    assert.deepEqual(doc.clusters.map((c) => c.cluster["server"]!.split(":").pop()), ["7444", "7444", "7444", "7444"]);
    assert.equal(new Set(doc.clusters.slice(1).map((c) => c.cluster["server"])).size, 3, "one server per control-plane machine, workers none");
    assert.equal(Buffer.from(doc.clusters[0]!.cluster["certificate-authority-data"]!, "base64").toString(), "CA");
    assert.equal(doc["current-context"], doc.contexts[0]!.name);
    assert.ok(doc.contexts.every((c) => c.context.user === doc.users[0]!.name && doc.clusters.some((cl) => cl.name === c.context.cluster)));
    assert.deepEqual(Object.fromEntries(Object.entries(doc.users[0]!.user).map(([k, b]) => [k, Buffer.from(b, "base64").toString()])), { "client-certificate-data": "CERT", "client-key-data": "KEY" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
