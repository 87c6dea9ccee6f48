import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { run } from "../run.js";
import { releaseObjects } from "./chart-deploy.js";
import { ansic } from "./chart-info.js";
import { checkReleaseName, decodeRelease, encodeRelease, type Release } from "./chart-release-store.js";
import { readinessOf } from "./chart-wait.js";

const webChart = fileURLToPath(new URL("../../../../charts/examples/web", import.meta.url));

/** kpctl without a server: template and lint never dial. */
async function kpctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: "/nonexistent/kpctl-chart-test" },
    connect: () => {
      throw new Error("template and lint must not connect");
    },
  });
  return { code, stdout, stderr };
}

describe("kpctl chart (no cluster)", () => {
  test("a release record survives Helm's encoding: base64 of gzip of JSON", () => {
    const rel: Release = {
      name: "web",
      namespace: "default",
      version: 2,
      info: { firstDeployed: "2026-12-06T13:00:00.000Z", lastDeployed: "2026-12-06T13:05:00.000Z", description: "Upgrade complete", status: "deployed", notes: "hi" },
      chart: { metadata: { apiVersion: "v2", name: "web", version: "0.1.0", type: "application", dependencies: [] } },
      config: { replicas: 5 },
      manifest: "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    };
    const data = encodeRelease(rel);
    const inner = Buffer.from(data, "base64").toString("utf8");
    assert.equal(Buffer.from(inner, "base64").subarray(0, 2).toString("hex"), "1f8b", "the payload is gzip");
    assert.deepEqual(decodeRelease(data), rel);
  });

  test("release objects get the namespace, the managed-by label and the release annotations; cluster-scoped ones no namespace", () => {
    const objects = releaseObjects(
      [
        { template: "t/templates/a.yaml", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", labels: { x: "1" } } } },
        { template: "t/templates/b.yaml", object: { apiVersion: "v1", kind: "Service", metadata: { name: "b", namespace: "elsewhere" } } },
        { template: "t/templates/c.yaml", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "c", namespace: "ignored" } } },
      ],
      "rel",
      "team-a",
    );
    assert.deepEqual(objects.map((o) => `${o.info.kind}/${o.namespace}/${o.name}`), ["ConfigMap/team-a/a", "Service/elsewhere/b", "Namespace//c"]);
    assert.deepEqual(objects[0]?.object.metadata, {
      name: "a",
      namespace: "team-a",
      labels: { x: "1", "app.kubernetes.io/managed-by": "kpctl" },
      annotations: { "meta.kubeplane.io/release-name": "rel", "meta.kubeplane.io/release-namespace": "team-a" },
    });
    assert.throws(() => releaseObjects([{ template: "t/templates/g.yaml", object: { apiVersion: "example.com/v1", kind: "Gizmo", metadata: { name: "g" } } }], "r", "d"), /no matches for kind "Gizmo"/);
  });

  test("readiness follows Helm's rules for StatefulSets, DaemonSets and Pods", () => {
    const sts = (status: Record<string, number>) => ({ metadata: { name: "db", generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, ...status } });
    assert.deepEqual(readinessOf("StatefulSet", sts({ updatedReplicas: 3, readyReplicas: 1 })), { ready: false, line: 'Waiting for statefulset "db": 1 of 3 pods ready...' });
    assert.equal(readinessOf("StatefulSet", sts({ updatedReplicas: 3, readyReplicas: 3 })).ready, true);
    assert.equal(readinessOf("StatefulSet", { ...sts({ updatedReplicas: 3, readyReplicas: 3 }), status: { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 3 } }).ready, false, "a spec not yet observed is not ready");
    const ds = { metadata: { name: "agent", generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 } };
    assert.equal(readinessOf("DaemonSet", ds).line, 'Waiting for daemon set "agent" rollout to finish: 1 of 2 updated pods are available...');
    assert.equal(readinessOf("Pod", { metadata: { name: "p" }, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }).ready, true);
    assert.equal(readinessOf("Pod", { metadata: { name: "p" }, status: { phase: "Pending" } }).ready, false);
    assert.equal(readinessOf("ConfigMap", { metadata: { name: "c" } }).ready, true);
  });

  test("release names and times as Helm writes them", () => {
    assert.equal(ansic("2026-12-06T13:05:09.000Z"), "Sun Dec  6 13:05:09 2026");
    checkReleaseName("web-1.a");
    for (const bad of ["Web", "-web", "web_1", "x".repeat(54), ""]) assert.throws(() => checkReleaseName(bad), /invalid release name/, bad);
  });

  test("template writes one file per template under --output-dir; lint reports objects without a name or of unknown kinds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kpctl-chart-unit-"));
    try {
      const out = await kpctl("chart", "template", "demo", webChart, "--output-dir", join(dir, "out"), "--set", "ingress.enabled=false");
      assert.equal(out.code, 0, out.stderr);
      const deployment = await readFile(join(dir, "out/web/templates/deployment.yaml"), "utf8");
      assert.match(deployment, /^---\n# Source: web\/templates\/deployment.yaml\napiVersion: apps\/v1\nkind: Deployment\nmetadata:\n  name: demo-web\n/);
      assert.match(out.stdout, /wrote .*\/out\/web\/templates\/service.yaml\n/);
      assert.doesNotMatch(out.stdout, /ingress.yaml/, "a template that renders nothing writes no file");

      const chart = join(dir, "odd");
      await mkdir(join(chart, "templates"), { recursive: true });
      await writeFile(join(chart, "Chart.yaml"), "apiVersion: v2\nname: odd\nversion: 1.0.0\n");
      await writeFile(join(chart, "templates", "objects.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\napiVersion: example.com/v1\nkind: Gizmo\nmetadata:\n  name: g\n");
      const lint = await kpctl("chart", "lint", chart);
      assert.equal(lint.code, 1);
      assert.match(lint.stdout, /\[ERROR\] templates\/objects.yaml: object ConfigMap has no metadata.name\n/);
      assert.match(lint.stdout, /\[ERROR\] templates\/objects.yaml: no matches for kind "Gizmo" in version "example.com\/v1"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
