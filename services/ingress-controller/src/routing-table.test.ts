// Unit tests of the routing table: host and wildcard choice, Exact and Prefix paths, precedence, default backend.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RoutingTable, routingHost, type Route } from "./routing-table.js";
import { backend, ingress } from "./test-support.js";

const svc = (route: Route | undefined): string | undefined => route?.backend.service;

test("each host routes to its own Service; an unknown host has no route", () => {
  const table = new RoutingTable([ingress("two-hosts", { "a.example": [{ path: "/", service: "a" }], "b.example": [{ path: "/", service: "b" }] })]);
  assert.equal(svc(table.match("a.example", "/")), "a");
  assert.equal(svc(table.match("b.example", "/anything/deep")), "b");
  assert.equal(table.match("c.example", "/"), undefined);
  assert.equal(table.ruleCount, 2);
});

test("a wildcard host matches exactly one more label, and an exact host wins over it", () => {
  const table = new RoutingTable([
    ingress("wild", { "*.example.com": [{ path: "/", service: "wild" }], "api.example.com": [{ path: "/", service: "api" }] }),
  ]);
  assert.equal(svc(table.match("foo.example.com", "/")), "wild");
  assert.equal(svc(table.match("api.example.com", "/")), "api");
  assert.equal(table.match("a.b.example.com", "/"), undefined, "two labels do not match *.example.com");
  assert.equal(table.match("example.com", "/"), undefined, "the bare domain does not match *.example.com");
});

test("Prefix matches whole path elements: /foo matches /foo and /foo/bar but not /foobar", () => {
  const table = new RoutingTable([ingress("p", { "h": [{ path: "/foo", service: "foo" }] })]);
  assert.equal(svc(table.match("h", "/foo")), "foo");
  assert.equal(svc(table.match("h", "/foo/")), "foo");
  assert.equal(svc(table.match("h", "/foo/bar")), "foo");
  assert.equal(table.match("h", "/foobar"), undefined);
  assert.equal(table.match("h", "/"), undefined);
});

test("a trailing slash on a Prefix path is ignored; ImplementationSpecific and unset act as Prefix", () => {
  const table = new RoutingTable([
    ingress("p", {
      "h": [
        { path: "/aaa/bbb/", service: "slash" },
        { path: "/impl", pathType: "ImplementationSpecific", service: "impl" },
      ],
    }),
  ]);
  assert.equal(svc(table.match("h", "/aaa/bbb")), "slash");
  assert.equal(table.match("h", "/aaa/bbbxyz"), undefined);
  assert.equal(svc(table.match("h", "/impl/x")), "impl");
});

test("Exact matches only the identical path", () => {
  const table = new RoutingTable([ingress("e", { "h": [{ path: "/exact", pathType: "Exact", service: "e" }] })]);
  assert.equal(svc(table.match("h", "/exact")), "e");
  assert.equal(table.match("h", "/exact/"), undefined);
  assert.equal(table.match("h", "/exact/x"), undefined);
});

test("the longest matching path wins, and Exact beats Prefix on the same path", () => {
  const table = new RoutingTable([
    ingress("l", {
      "h": [
        { path: "/", service: "root" },
        { path: "/api", service: "api" },
        { path: "/api/v2", service: "v2" },
        { path: "/api/v2", pathType: "Exact", service: "v2-exact" },
      ],
    }),
  ]);
  assert.equal(svc(table.match("h", "/")), "root");
  assert.equal(svc(table.match("h", "/other")), "root");
  assert.equal(svc(table.match("h", "/api/v1")), "api");
  assert.equal(svc(table.match("h", "/api/v2/users")), "v2");
  assert.equal(svc(table.match("h", "/api/v2")), "v2-exact");
});

test("the default backend answers what no rule matches, including a known host's unmatched path", () => {
  const table = new RoutingTable([ingress("d", { "h": [{ path: "/app", service: "app" }] }, { defaultBackend: backend("fallback", 8080) })]);
  assert.equal(svc(table.match("unknown", "/")), "fallback");
  assert.equal(svc(table.match("h", "/nope")), "fallback");
  assert.deepEqual(table.match("h", "/nope")?.backend.port, { number: 8080, name: "" });
  assert.equal(table.match("h", "/nope")?.path, undefined);
});

test("rules without a host match any host, after exact and wildcard hosts", () => {
  const table = new RoutingTable([ingress("any", { "": [{ path: "/", service: "any" }], "h": [{ path: "/", service: "h" }] })]);
  assert.equal(svc(table.match("whatever.example", "/")), "any");
  assert.equal(svc(table.match("h", "/")), "h");
});

test("named and numbered Service ports are kept as the Ingress gives them", () => {
  const table = new RoutingTable([ingress("ports", { "h": [{ path: "/n", service: "s", port: 8080 }, { path: "/named", service: "s", port: "http" }] })]);
  assert.deepEqual(table.match("h", "/n")?.backend.port, { number: 8080, name: "" });
  assert.deepEqual(table.match("h", "/named")?.backend.port, { number: 0, name: "http" });
});

test("on a host and path two Ingresses claim, the older Ingress wins", () => {
  const table = new RoutingTable([
    ingress("newer", { "h": [{ path: "/", service: "newer" }] }, { created: "2026-02-01T00:00:00Z" }),
    ingress("older", { "h": [{ path: "/", service: "older" }, { path: "/only-older", service: "older" }] }, { created: "2026-01-01T00:00:00Z" }),
  ]);
  assert.equal(svc(table.match("h", "/")), "older");
  assert.deepEqual(table.match("h", "/")?.ingress, { namespace: "default", name: "older" });
  assert.equal(table.ruleCount, 2);
});

test("routingHost drops the port and trailing dot and lower-cases", () => {
  assert.equal(routingHost("A.Example:8080"), "a.example");
  assert.equal(routingHost("a.example."), "a.example");
  assert.equal(routingHost("[::1]:80"), "[::1]");
  assert.equal(routingHost(undefined), "");
});
