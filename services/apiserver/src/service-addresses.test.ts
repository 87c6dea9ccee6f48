// Dual-stack Service addresses: ipFamilyPolicy/ipFamilies defaulting per cluster, one ClusterIP per family, release, Invalid field paths.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults, coreV1Service, kindFor, validateObject, type FieldError } from "@kubeplane/api";
import { NodePortRange, ServiceIpRange } from "@kubeplane/storage";
import { ServiceAddresses, type AddressPlan } from "./service-addresses.js";

type Service = coreV1Service.Service;
const info = kindFor("v1", "Service")!;
const singleStack = new ServiceAddresses(new ServiceIpRange("10.96.0.0/12"), new NodePortRange(30000, 32767));
const dualStack = new ServiceAddresses([new ServiceIpRange("10.96.0.0/12"), new ServiceIpRange("fd00:10:96::/112")], new NodePortRange(30000, 32767));

/** A Service as the apiserver sees it after decode and defaulting. */
function service(spec: Record<string, unknown>): Service {
  const svc = coreV1Service.Service.fromPartial({ metadata: { name: "web", namespace: "shop" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec } });
  applyDefaults(info, svc);
  return svc;
}

function planned(addresses: ServiceAddresses, svc: Service, old?: Service): AddressPlan {
  const plan = addresses.plan(svc, old, new Set());
  assert.ok(!Array.isArray(plan), `plan failed: ${JSON.stringify(plan)}`);
  return plan;
}

const errorsOf = (addresses: ServiceAddresses, svc: Service, old?: Service): Array<[string, string]> => {
  const plan = addresses.plan(svc, old, new Set());
  assert.ok(Array.isArray(plan), "expected field errors");
  return (plan as FieldError[]).map((e) => [e.field, e.detail]);
};

test("on a single-stack cluster a Service stays single-stack IPv4, PreferDualStack included", () => {
  const plain = service({});
  planned(singleStack, plain);
  assert.deepEqual([plain.spec?.ipFamilyPolicy, plain.spec?.ipFamilies, plain.spec?.clusterIps.length], ["SingleStack", ["IPv4"], 1]);
  assert.equal(plain.spec?.clusterIps[0], plain.spec?.clusterIp);
  const prefer = service({ ipFamilyPolicy: "PreferDualStack" });
  planned(singleStack, prefer);
  assert.deepEqual([prefer.spec?.ipFamilyPolicy, prefer.spec?.ipFamilies, prefer.spec?.clusterIps.length], ["PreferDualStack", ["IPv4"], 1]);
});

test("on a single-stack cluster RequireDualStack and an IPv6 family or ClusterIP are Invalid with their field paths", () => {
  assert.deepEqual(errorsOf(singleStack, service({ ipFamilyPolicy: "RequireDualStack" })), [["spec.ipFamilyPolicy", "this cluster is not configured for dual-stack services"]]);
  assert.deepEqual(errorsOf(singleStack, service({ ipFamilies: ["IPv6"] })), [["spec.ipFamilies[0]", "not configured on this cluster"]]);
  assert.deepEqual(errorsOf(singleStack, service({ clusterIp: "fd00:10:96::5" })), [["spec.clusterIPs[0]", "IPv6 is not configured on this cluster"]]);
});

test("on a dual-stack cluster PreferDualStack gets an IPv4 and an IPv6 ClusterIP, primary first, and reserves both", () => {
  const svc = service({ ipFamilyPolicy: "PreferDualStack" });
  const plan = planned(dualStack, svc);
  const [v4, v6] = svc.spec!.clusterIps;
  assert.deepEqual(svc.spec?.ipFamilies, ["IPv4", "IPv6"]);
  assert.equal(svc.spec?.clusterIp, v4);
  assert.match(v4!, /^10\.(9[6-9]|1[01][0-9])\./);
  assert.match(v6!, /^fd00:10:96::[0-9a-f]{1,4}$/);
  assert.deepEqual(plan.create.map((r) => r.key).sort(), [`/kubeplane/ranges/serviceips/${v4}`, `/kubeplane/ranges/serviceips/${v6}`].sort());
});

test("on a dual-stack cluster an unset policy is SingleStack of the primary, or RequireDualStack when two families are asked for; IPv6 first makes IPv6 primary", () => {
  const plain = service({});
  planned(dualStack, plain);
  assert.deepEqual([plain.spec?.ipFamilyPolicy, plain.spec?.ipFamilies, plain.spec?.clusterIps.length], ["SingleStack", ["IPv4"], 1]);
  const both = service({ ipFamilies: ["IPv6", "IPv4"] });
  planned(dualStack, both);
  assert.equal(both.spec?.ipFamilyPolicy, "RequireDualStack");
  assert.match(both.spec!.clusterIp, /^fd00:10:96::/);
  assert.match(both.spec!.clusterIps[1]!, /^10\./);
  const v6only = service({ ipFamilies: ["IPv6"] });
  planned(dualStack, v6only);
  assert.deepEqual([v6only.spec?.ipFamilyPolicy, v6only.spec?.clusterIps.length], ["SingleStack", 1]);
  assert.match(v6only.spec!.clusterIp, /^fd00:10:96::/);
});

test("asked-for ClusterIPs are kept and reserved as chosen; one outside the family's range is Invalid at its index", () => {
  const svc = service({ ipFamilyPolicy: "RequireDualStack", clusterIp: "10.96.0.20", clusterIps: ["10.96.0.20", "fd00:10:96::20"] });
  const plan = planned(dualStack, svc);
  assert.deepEqual(svc.spec?.clusterIps, ["10.96.0.20", "fd00:10:96::20"]);
  assert.ok(plan.chosen.has("/kubeplane/ranges/serviceips/fd00:10:96::20"));
  const outside = service({ ipFamilyPolicy: "RequireDualStack", clusterIp: "10.96.0.21", clusterIps: ["10.96.0.21", "fd00:99::21"] });
  assert.deepEqual(errorsOf(dualStack, outside), [["spec.clusterIPs[1]", "provided IP is not in the valid range. The range of valid IPs is fd00:10:96::/112"]]);
});

test("SingleStack with two families is Invalid on create; an update to SingleStack leaving both in place is a downgrade", () => {
  assert.deepEqual(errorsOf(dualStack, service({ ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4", "IPv6"] })), [
    ["spec.ipFamilies", "when multiple IP families are specified, ipFamilyPolicy must be PreferDualStack or RequireDualStack"],
  ]);
  const old = service({ ipFamilyPolicy: "PreferDualStack" });
  planned(dualStack, old);
  const edited = service({ ipFamilyPolicy: "SingleStack", clusterIp: old.spec!.clusterIp, clusterIps: [...old.spec!.clusterIps], ipFamilies: ["IPv4", "IPv6"] });
  assert.deepEqual(validateObject(info, edited, old), [], "validation lets the downgrade through");
  planned(dualStack, edited, old);
  assert.deepEqual(edited.spec?.clusterIps, [old.spec!.clusterIp]);
});

test("an update upgrades to dual-stack by allocating the second family, and a downgrade to SingleStack releases it", () => {
  const old = service({});
  planned(dualStack, old);
  const upgraded = service({ ipFamilyPolicy: "PreferDualStack" });
  const up = planned(dualStack, upgraded, old);
  assert.equal(upgraded.spec?.clusterIp, old.spec?.clusterIp);
  assert.deepEqual(upgraded.spec?.ipFamilies, ["IPv4", "IPv6"]);
  assert.deepEqual(up.create.map((r) => r.key), [`/kubeplane/ranges/serviceips/${upgraded.spec!.clusterIps[1]}`]);
  assert.deepEqual(up.release, []);
  const downgraded = service({ ipFamilyPolicy: "SingleStack", clusterIp: upgraded.spec!.clusterIp, clusterIps: [...upgraded.spec!.clusterIps], ipFamilies: ["IPv4", "IPv6"] });
  const down = planned(dualStack, downgraded, upgraded);
  assert.deepEqual([downgraded.spec?.clusterIps, downgraded.spec?.ipFamilies], [[old.spec!.clusterIp], ["IPv4"]]);
  assert.deepEqual(down.release, [`/kubeplane/ranges/serviceips/${upgraded.spec!.clusterIps[1]}`]);
});

test("headless: with a selector single-stack; without one RequireDualStack over both families; no ClusterIP reserved", () => {
  const selected = service({ clusterIp: "None" });
  const plan = planned(dualStack, selected);
  assert.deepEqual([selected.spec?.ipFamilyPolicy, selected.spec?.ipFamilies, selected.spec?.clusterIps], ["SingleStack", ["IPv4"], ["None"]]);
  assert.deepEqual(plan.create, []);
  const bare = service({ clusterIp: "None", selector: {} });
  planned(singleStack, bare);
  assert.deepEqual([bare.spec?.ipFamilyPolicy, bare.spec?.ipFamilies], ["RequireDualStack", ["IPv4", "IPv6"]]);
});

test("validation: family/IP mismatches, two IPs of one family, SingleStack with two families, a changed primary family", () => {
  const fields = (spec: Record<string, unknown>, old?: Service): string[] => validateObject(info, service(spec), old).map((e) => `${e.field}: ${e.detail}`);
  assert.deepEqual(fields({ clusterIp: "10.96.0.5", clusterIps: ["10.96.0.5", "10.96.0.6"], ipFamilyPolicy: "RequireDualStack" }), ["spec.clusterIPs[1]: may specify no more than one IP for each IP family"]);
  assert.deepEqual(fields({ clusterIp: "10.96.0.5", ipFamilies: ["IPv6"] }), []);
  assert.deepEqual(fields({ clusterIp: "10.96.0.5", clusterIps: ["10.96.0.5"], ipFamilies: ["IPv6"] }), ["spec.clusterIPs[0]: expected an IPv6 value as indicated by `ipFamilies[0]`"]);
  assert.deepEqual(fields({ ipFamilies: ["IPv4", "IPv4"] }), ["spec.ipFamilies[1]: "]);
  const old = service({});
  planned(dualStack, old);
  assert.deepEqual(fields({ ipFamilies: ["IPv6"] }, old), ["spec.ipFamilies[0]: may not change once set"]);
});
