// Unit tests of the synthesised pod records `<a-b-c-d>.<ns>.pod.<zone>`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { podLabelAddress, podRecords } from "./pod-records.js";

const zone = "cluster.local";

test("a dashed label is an IPv4 address, or IPv6 with seven dashes or a double dash", () => {
  assert.equal(podLabelAddress("10-244-1-5"), "10.244.1.5");
  assert.equal(podLabelAddress("fd00-0-0-0-0-0-0-5"), "fd00:0:0:0:0:0:0:5");
  assert.equal(podLabelAddress("fd00--5"), "fd00::5");
  for (const bad of ["10-244-1", "10-244-1-256", "db-0", "10-244-1-5-6", "fd00-5", "a-b-c-d"]) assert.equal(podLabelAddress(bad), undefined, bad);
});

test("pod names answer A or AAAA of the address; the namespace and pod apex are NODATA; others NXDOMAIN", () => {
  assert.deepEqual(podRecords("10-244-1-5.shop.pod.cluster.local", zone), { a: ["10.244.1.5"], aaaa: [], srv: [], ptr: [], cname: undefined });
  assert.deepEqual(podRecords("fd00--5.shop.pod.cluster.local", zone), { a: [], aaaa: ["fd00::5"], srv: [], ptr: [], cname: undefined });
  assert.equal(podRecords("pod.cluster.local", zone), "nodata");
  assert.equal(podRecords("shop.pod.cluster.local", zone), "nodata");
  assert.equal(podRecords("db-0.shop.pod.cluster.local", zone), "nxdomain");
  assert.equal(podRecords("x.10-244-1-5.shop.pod.cluster.local", zone), "nxdomain");
  assert.equal(podRecords("10-244-1-5.sh_op.pod.cluster.local", zone), "nxdomain");
  assert.equal(podRecords("web.shop.svc.cluster.local", zone), undefined);
  assert.equal(podRecords("10-244-1-5.shop.pod.other.local", zone), undefined);
});
