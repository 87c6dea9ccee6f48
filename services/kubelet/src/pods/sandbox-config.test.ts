// Tests of the sandbox's hostname: spec.hostname or the pod name, and the FQDN with setHostnameAsFQDN.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pod } from "../container/test-support.js";
import { HostnameTooLongError, kernelHostname, podHostname, sandboxConfig } from "./sandbox-config.js";

const ctx = { logRoot: "/var/log/pods", dns: undefined, attempt: 0, cgroupParent: "/kubepods/podu1", clusterDomain: "cluster.local" };

test("the hostname is spec.hostname, else the pod name cut to 63 characters without a trailing dash", () => {
  assert.equal(podHostname(pod({ hostname: "db-0" }, { name: "x" })), "db-0");
  assert.equal(podHostname(pod({}, { name: `${"a".repeat(62)}-b` })), "a".repeat(62));
  assert.equal(sandboxConfig(pod({ hostname: "db-0", subdomain: "db" }), ctx).hostname, "db-0");
  assert.equal(sandboxConfig(pod({ hostNetwork: true }), ctx).hostname, "");
});

test("setHostnameAsFQDN with a subdomain gives the kernel <hostname>.<subdomain>.<ns>.svc.<domain>; over 64 characters it fails", () => {
  const fqdnPod = pod({ hostname: "db-0", subdomain: "db", setHostnameAsFqdn: true }, { namespace: "shop" });
  assert.equal(sandboxConfig(fqdnPod, ctx).hostname, "db-0.db.shop.svc.cluster.local");
  assert.equal(kernelHostname(pod({ hostname: "db-0", setHostnameAsFqdn: true }), "cluster.local"), "db-0", "no subdomain: no FQDN");
  const long = pod({ hostname: "h".repeat(30), subdomain: "s".repeat(20), setHostnameAsFqdn: true }, { namespace: "shop" });
  assert.throws(() => kernelHostname(long, "cluster.local"), (err: unknown) => err instanceof HostnameTooLongError && /is too long \(64 characters is the max, 74 characters requested\)/.test(err.message));
});
