// Tests of the schema verbs: explain (a kind, a field path, --recursive, the proto's comments), api-resources and api-versions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

async function out(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = fakeIo(new FakeApi());
  const code = await run(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

test("explain lists a kind's fields with kubectl's types, and a field path's", async () => {
  const pod = await out(["explain", "pods"]);
  assert.equal(pod.code, 0);
  assert.match(pod.stdout, /^KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a group of containers scheduled together onto a node \(corev1\.Pod\)\.\n\nFIELDS:\n  apiVersion\t<string>\n    <no description>\n\n  kind\t<string>\n/);
  assert.match(pod.stdout, /\n  spec\t<PodSpec>\n    PodSpec is the desired state of a pod\.\n\n  status\t<PodStatus>\n/);
  const policy = await out(["explain", "pod.spec.restartPolicy"]);
  assert.equal(policy.stdout, "KIND:       Pod\nVERSION:    v1\n\nFIELD: restartPolicy <string>\n\nDESCRIPTION:\n    Always, OnFailure or Never.\n");
  const containers = await out(["explain", "po.spec.containers"]);
  assert.match(containers.stdout, /FIELD: containers <\[\]Container>/);
  assert.match(containers.stdout, /\n  ports\t<\[\]ContainerPort>\n/);
  assert.match(containers.stdout, /\n  imagePullPolicy\t<string>\n {4}\S/, "a field's own comment");
  const resources = await out(["explain", "deploy.spec.template.spec.containers.resources.limits"]);
  assert.match(resources.stdout, /FIELD: limits <map\[string\]Quantity>/);
  const port = await out(["explain", "svc.spec.ports.targetPort"]);
  assert.match(port.stdout, /FIELD: targetPort <IntOrString>/);
});

test("explain --recursive prints the field tree indented", async () => {
  const r = await out(["explain", "deployment.spec.selector", "--recursive"]);
  assert.match(r.stdout, /FIELDS:\n  matchLabels\t<map\[string\]string>\n  matchExpressions\t<\[\]LabelSelectorRequirement>\n    key\t<string>\n    operator\t<string>\n    values\t<\[\]string>\n$/);
});

test("explain reports an unknown field and an unknown type", async () => {
  assert.match((await out(["explain", "pods.spec.nope"])).stderr, /error: field "nope" does not exist/);
  assert.match((await out(["explain", "gizmos"])).stderr, /the server doesn't have a resource type "gizmos"/);
});

test("api-resources prints NAME SHORTNAMES APIVERSION NAMESPACED KIND, filtered; api-versions the group versions", async () => {
  const all = await out(["api-resources"]);
  const lines = all.stdout.split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
  assert.ok(lines.some((l) => /^pods\s+po\s+v1\s+true\s+Pod$/.test(l)));
  assert.ok(lines.some((l) => /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/.test(l)));
  assert.ok(lines.indexOf(lines.find((l) => l.startsWith("pods")) ?? "") < lines.indexOf(lines.find((l) => l.startsWith("deployments")) ?? ""), "core first");
  const cluster = await out(["api-resources", "--namespaced=false", "-o", "name"]);
  assert.ok(cluster.stdout.split("\n").includes("nodes") && cluster.stdout.split("\n").includes("storageclasses.storage.k8s.io"));
  assert.ok(!cluster.stdout.includes("pods"));
  const versions = await out(["api-versions"]);
  assert.ok(versions.stdout.startsWith("apps/v1\n"));
  assert.ok(versions.stdout.endsWith("\nv1\n"));
});
