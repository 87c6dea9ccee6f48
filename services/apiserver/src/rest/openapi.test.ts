// The OpenAPI v3 documents generated from the protos: what kubectl explain and kubectl's field-validation check read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { openApiDocument, openApiIndex } from "./openapi.js";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema> };

test("the index names every group version with a hash-qualified URL", () => {
  const paths = (openApiIndex() as { paths: Record<string, { serverRelativeURL: string }> }).paths;
  assert.match(paths["apis/apps/v1"]!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
  assert.ok(paths["api/v1"]);
  assert.equal(openApiDocument("apis/nothing/v9"), undefined);
});

test("a Deployment's schema: its GVK, spec.replicas as an integer, containers merged by name", () => {
  const doc = openApiDocument("apis/apps/v1") as { components: { schemas: Record<string, Schema> }; paths: Record<string, Record<string, { parameters: { name: string }[]; "x-kubernetes-group-version-kind": unknown }>> };
  const schemas = doc.components.schemas;
  const deployment = Object.values(schemas).find((s) => JSON.stringify(s["x-kubernetes-group-version-kind"]) === JSON.stringify([{ group: "apps", version: "v1", kind: "Deployment" }]));
  assert.ok(deployment, "a schema carries the Deployment GVK");
  const specRef = ((deployment.properties!["spec"]!["allOf"] as { $ref: string }[])[0]!.$ref).split("/").pop()!;
  const replicas = schemas[specRef]!.properties!["replicas"]!;
  assert.equal(replicas["type"], "integer");
  const podSpec = Object.entries(schemas).find(([name]) => name.endsWith(".PodSpec"))![1];
  assert.equal(podSpec.properties!["containers"]!["x-kubernetes-patch-merge-key"], "name");
  assert.equal(podSpec.properties!["containers"]!["x-kubernetes-patch-strategy"], "merge");
  const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
  assert.deepEqual(patch["x-kubernetes-group-version-kind"], { group: "apps", version: "v1", kind: "Deployment" });
  assert.ok(patch.parameters.some((p) => p.name === "fieldValidation"));
});
