// Unit tests of the dns configuration's validation: bad values are refused naming the field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "@kubeplane/service-kit";
import { dnsConfig } from "./config.js";

test("a bad upstream or zone is refused naming the field", () => {
  const load = (argv: string[]) => loadConfig(dnsConfig, { argv, envPrefix: "KP_DNS_TEST_UNSET", program: "dns" });
  assert.deepEqual(load(["--upstreams=10.0.0.2:53,[fd00::2]:53"]).upstreams, "10.0.0.2:53,[fd00::2]:53");
  assert.throws(() => load(["--upstreams=10.0.0.2:53,dns.google"]), (err: unknown) => err instanceof ConfigError && err.key === "upstreams" && /upstreams\[1\] "dns.google"/.test(err.message));
  assert.throws(() => load(["--zone=bad_zone.local"]), (err: unknown) => err instanceof ConfigError && err.key === "zone");
  assert.throws(() => load(["--dns-listen=localhost:53"]), (err: unknown) => err instanceof ConfigError && err.key === "dnsListen");
  assert.throws(() => load(["--ttl=-1"]), (err: unknown) => err instanceof ConfigError && err.key === "ttl");
});
