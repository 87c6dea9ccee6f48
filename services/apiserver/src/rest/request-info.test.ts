// How a REST path and method become the request the authorizers see (Kubernetes' RequestInfoFactory).
import assert from "node:assert/strict";
import { test } from "node:test";
import { requestInfo } from "./request-info.js";

const info = (method: string, path: string, query = "") => {
  const r = requestInfo(method, path, new URLSearchParams(query));
  return { resource: r.isResourceRequest, verb: r.verb, group: r.apiGroup, version: r.apiVersion, ns: r.namespace, res: r.resource, name: r.name, sub: r.subresource };
};

test("namespaced and cluster-scoped paths, collections and objects", () => {
  assert.deepEqual(info("GET", "/api/v1/namespaces/team/pods"), { resource: true, verb: "list", group: "", version: "v1", ns: "team", res: "pods", name: "", sub: "" });
  assert.deepEqual(info("GET", "/apis/apps/v1/namespaces/team/deployments/web/scale"), { resource: true, verb: "get", group: "apps", version: "v1", ns: "team", res: "deployments", name: "web", sub: "scale" });
  assert.deepEqual(info("GET", "/api/v1/nodes/n1"), { resource: true, verb: "get", group: "", version: "v1", ns: "", res: "nodes", name: "n1", sub: "" });
  assert.equal(info("GET", "/api/v1/pods").verb, "list");
});

test("verbs: watch from the query, deletecollection without a name, writes by method", () => {
  assert.equal(info("GET", "/api/v1/namespaces/a/pods", "watch=1").verb, "watch");
  assert.equal(info("GET", "/api/v1/namespaces/a/pods", "watch=true").verb, "watch");
  assert.equal(info("GET", "/api/v1/namespaces/a/pods", "watch=false").verb, "list");
  assert.equal(info("DELETE", "/api/v1/namespaces/a/pods").verb, "deletecollection");
  assert.equal(info("DELETE", "/api/v1/namespaces/a/pods/p").verb, "delete");
  assert.equal(info("POST", "/api/v1/namespaces/a/pods").verb, "create");
  assert.equal(info("PUT", "/api/v1/namespaces/a/pods/p").verb, "update");
  assert.equal(info("PATCH", "/api/v1/namespaces/a/pods/p/status").verb, "patch");
});

test("a namespace's own status and finalize are subresources of the namespaces resource", () => {
  assert.deepEqual(info("PUT", "/api/v1/namespaces/team/status"), { resource: true, verb: "update", group: "", version: "v1", ns: "team", res: "namespaces", name: "team", sub: "status" });
  assert.deepEqual(info("GET", "/api/v1/namespaces/team"), { resource: true, verb: "get", group: "", version: "v1", ns: "team", res: "namespaces", name: "team", sub: "" });
  assert.equal(info("GET", "/api/v1/namespaces").verb, "list");
});

test("discovery, version and OpenAPI paths are non-resource requests", () => {
  for (const path of ["/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/version", "/openapi/v3/apis/apps/v1"]) {
    assert.equal(info("GET", path).resource, false, path);
  }
  assert.equal(info("GET", "/api/v1/namespaces/a/pods/p/log/extra").resource, false);
});

test("a path that is not valid percent-encoding is BadRequest", () => {
  assert.throws(() => requestInfo("GET", "/api/v1/namespaces/%E0%A4%A/pods", new URLSearchParams()), (err: { code?: number }) => err.code === 400);
});
