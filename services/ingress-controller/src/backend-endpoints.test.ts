// Unit tests of backend resolution: Service port by number or name, slice port by name, ready endpoints only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readyUpstreams } from "./backend-endpoints.js";
import { RoundRobin } from "./round-robin.js";
import { service, slice } from "./test-support.js";

const web = service("web", [{ name: "http", port: 80 }, { name: "metrics", port: 9090 }]);
const slices = [
  slice("web", [{ ip: "10.0.0.2" }, { ip: "10.0.0.1", ready: true }, { ip: "10.0.0.3", ready: false }], [{ name: "http", port: 8080 }, { name: "metrics", port: 9102 }]),
];

test("a Service port by number resolves to the slice port of the same name (the resolved targetPort)", () => {
  assert.deepEqual(readyUpstreams(web, slices, { number: 80, name: "" }), [{ ip: "10.0.0.1", port: 8080 }, { ip: "10.0.0.2", port: 8080 }]);
});

test("a Service port by name resolves the same way", () => {
  assert.deepEqual(readyUpstreams(web, slices, { number: 0, name: "metrics" }), [{ ip: "10.0.0.1", port: 9102 }, { ip: "10.0.0.2", port: 9102 }]);
});

test("not-ready endpoints, unknown ports and a missing Service give no upstreams", () => {
  const ips = readyUpstreams(web, slices, { number: 80, name: "" }).map((u) => u.ip);
  assert.ok(!ips.includes("10.0.0.3"));
  assert.deepEqual(readyUpstreams(web, slices, { number: 81, name: "" }), []);
  assert.deepEqual(readyUpstreams(web, slices, { number: 0, name: "nope" }), []);
  assert.deepEqual(readyUpstreams(undefined, slices, { number: 80, name: "" }), []);
});

test("an unnamed single Service port matches the slice's unnamed port; endpoints merge across slices", () => {
  const plain = service("plain", [{ port: 80 }]);
  const two = [slice("plain", [{ ip: "10.0.1.1" }], [{ port: 3000 }]), slice("plain", [{ ip: "10.0.1.2" }, { ip: "10.0.1.1" }], [{ port: 3000 }])];
  assert.deepEqual(readyUpstreams(plain, two, { number: 80, name: "" }), [{ ip: "10.0.1.1", port: 3000 }, { ip: "10.0.1.2", port: 3000 }]);
});

test("round-robin starts one further along on each call and lists every endpoint once", () => {
  const rr = new RoundRobin();
  const eps = readyUpstreams(web, slices, { number: 80, name: "" });
  const firsts = [0, 1, 2, 3].map(() => rr.order("web", eps));
  assert.deepEqual(firsts.map((o) => o[0]!.ip), ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2"]);
  assert.ok(firsts.every((o) => o.length === 2 && new Set(o.map((u) => u.ip)).size === 2));
});
