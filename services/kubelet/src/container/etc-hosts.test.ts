// Tests of the kubelet-managed hosts file: content and atomic replacement on disk.

import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { etcHostsContent, etcHostsPath, writeEtcHosts } from "./etc-hosts.js";

const HEADER =
  "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
  "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";

test("without a subdomain each pod IP maps to the hostname", () => {
  assert.equal(etcHostsContent({ podIps: ["10.0.0.5"], hostname: "web-0", namespace: "default", clusterDomain: "cluster.local" }), HEADER + "10.0.0.5\tweb-0\n");
});

test("with a subdomain the FQDN comes first, and host aliases get their own section", () => {
  const content = etcHostsContent({
    podIps: ["10.0.0.5", "fd00::5"],
    hostname: "web-0",
    subdomain: "web",
    namespace: "shop",
    clusterDomain: "cluster.local",
    hostAliases: [{ ip: "127.0.0.2", hostnames: ["foo.local", "bar.local"] }],
  });
  assert.equal(
    content,
    HEADER +
      "10.0.0.5\tweb-0.web.shop.svc.cluster.local\tweb-0\n" +
      "fd00::5\tweb-0.web.shop.svc.cluster.local\tweb-0\n" +
      "\n# Entries added by HostAliases.\n127.0.0.2\tfoo.local\tbar.local\n",
  );
});

test("writeEtcHosts replaces the file whole and leaves no temporary file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "etc-hosts-"));
  try {
    const path = join(dir, "etc-hosts");
    await writeFile(path, "old content that is longer than the new one ".repeat(20));
    await writeEtcHosts(path, { podIps: ["10.0.0.7"], hostname: "db", namespace: "default", clusterDomain: "cluster.local" });
    assert.equal(await readFile(path, "utf8"), HEADER + "10.0.0.7\tdb\n");
    assert.deepEqual(await readdir(dir), ["etc-hosts"]);
    assert.equal(etcHostsPath("/var/lib/kubelet", "u1"), "/var/lib/kubelet/pods/u1/etc-hosts");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
