// Unit tests of apiserverTarget: one address unchanged, IP lists as ipv4:/ipv6: targets, the lists it refuses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiserverTarget, ApiserverTargetError } from "./apiserver-target.js";

test("one address is used as it is", () => {
  assert.equal(apiserverTarget("127.0.0.1:6443"), "127.0.0.1:6443");
  assert.equal(apiserverTarget("api.example:6443"), "api.example:6443");
});

test("a list of IPv4 addresses becomes one ipv4: target with every address, in order", () => {
  assert.equal(apiserverTarget("10.0.0.1:6443, 10.0.0.2:6443,10.0.0.3:7443"), "ipv4:10.0.0.1:6443,10.0.0.2:6443,10.0.0.3:7443");
});

test("a list of IPv6 addresses becomes an ipv6: target", () => {
  assert.equal(apiserverTarget("[fd00::1]:6443,[fd00::2]:6443"), "ipv6:[fd00::1]:6443,[fd00::2]:6443");
});

test("DNS names in a list, mixed families, missing ports and empty input are refused", () => {
  assert.throws(() => apiserverTarget("a.example:6443,b.example:6443"), ApiserverTargetError);
  assert.throws(() => apiserverTarget("10.0.0.1:6443,[fd00::1]:6443"), /mix IPv4 and IPv6/);
  assert.throws(() => apiserverTarget("10.0.0.1,10.0.0.2:6443"), ApiserverTargetError);
  assert.throws(() => apiserverTarget(" , "), /no apiserver address/);
});
