// The node's CNI conflist: bridge + host-local on the podCIDR + portmap, written atomically.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { test } from "node:test";
import { CNI_CONFIG_FILE, renderCniConfig, writeCniConfig } from "./cni-config.js";
import { firstHost, ipv4InCidr, PodCidrError } from "./pod-cidr.js";

test("the conflist allocates from the podCIDR with the first host as gateway, hairpin on and no masquerade", () => {
  const config = renderCniConfig({ podCidr: "10.88.3.0/24", ipamDataDir: "/state/ipam" }) as {
    cniVersion: string;
    plugins: [Record<string, unknown> & { ipam: Record<string, unknown> }, Record<string, unknown>];
  };
  assert.equal(config.cniVersion, "1.0.0");
  const [bridge, portmap] = config.plugins;
  assert.equal(bridge.type, "bridge");
  assert.equal(bridge.bridge, "kp0");
  assert.equal(bridge.isGateway, true);
  assert.equal(bridge.ipMasq, false);
  assert.equal(bridge.hairpinMode, true);
  assert.equal("mtu" in bridge, false);
  assert.deepEqual(bridge.ipam, {
    type: "host-local",
    ranges: [[{ subnet: "10.88.3.0/24", gateway: "10.88.3.1" }]],
    routes: [{ dst: "0.0.0.0/0" }],
    dataDir: "/state/ipam",
  });
  assert.deepEqual(portmap, { type: "portmap", capabilities: { portMappings: true } });
});

test("dual stack: host-local allocates from the IPv4 and the IPv6 podCIDR, with a default route per family; a bad IPv6 podCIDR is refused", () => {
  const config = renderCniConfig({ podCidr: "10.88.3.0/24", ipv6PodCidr: "fd00:10:244:3::/64", ipamDataDir: "/state/ipam" }) as { plugins: Array<{ ipam?: Record<string, unknown> }> };
  assert.deepEqual(config.plugins[0]?.ipam, {
    type: "host-local",
    ranges: [[{ subnet: "10.88.3.0/24", gateway: "10.88.3.1" }], [{ subnet: "fd00:10:244:3::/64" }]],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    dataDir: "/state/ipam",
  });
  for (const ipv6PodCidr of ["fd00:10:244:3::", "10.88.4.0/24", "fd00::/127", "fd00:::/64"]) {
    assert.throws(() => renderCniConfig({ podCidr: "10.88.3.0/24", ipv6PodCidr, ipamDataDir: "/d" }), PodCidrError, ipv6PodCidr);
  }
});

test("bridge name, gateway, MTU and masquerade can be chosen", () => {
  const config = renderCniConfig({ podCidr: "10.0.0.0/16", bridge: "cni-x", gateway: "10.0.255.254", ipamDataDir: "/d", mtu: 1400, ipMasq: true });
  const bridge = (config.plugins as Record<string, unknown>[])[0]!;
  assert.equal(bridge.bridge, "cni-x");
  assert.equal(bridge.mtu, 1400);
  assert.equal(bridge.ipMasq, true);
  assert.deepEqual((bridge.ipam as { ranges: unknown }).ranges, [[{ subnet: "10.0.0.0/16", gateway: "10.0.255.254" }]]);
});

test("an unusable podCIDR or bridge name is refused", () => {
  for (const podCidr of ["10.88.3.0", "10.88.3.5/24", "10.88.300.0/24", "10.88.3.0/31", "fd00::/64"]) {
    assert.throws(() => renderCniConfig({ podCidr, ipamDataDir: "/d" }), PodCidrError, podCidr);
  }
  assert.throws(() => renderCniConfig({ podCidr: "10.88.3.0/24", ipamDataDir: "/d", bridge: "a-bridge-name-too-long" }), RangeError);
});

test("podCIDR helpers find the gateway and test membership", () => {
  assert.equal(firstHost("10.244.1.0/24"), "10.244.1.1");
  assert.equal(firstHost("192.168.0.0/16"), "192.168.0.1");
  assert.equal(ipv4InCidr("10.244.1.254", "10.244.1.0/24"), true);
  assert.equal(ipv4InCidr("10.244.2.1", "10.244.1.0/24"), false);
  assert.equal(ipv4InCidr("", "10.244.1.0/24"), false);
});

test("writeCniConfig leaves exactly the conflist in the dir and creates the IPAM dir", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-cni-"));
  try {
    const path = await writeCniConfig(join(dir, "net.d"), { podCidr: "10.88.4.0/24", ipamDataDir: join(dir, "ipam") });
    assert.equal(path, join(dir, "net.d", CNI_CONFIG_FILE));
    assert.deepEqual(await readdir(join(dir, "net.d")), [CNI_CONFIG_FILE]);
    assert.deepEqual(await readdir(join(dir, "ipam")), []);
    const written = JSON.parse(await readFile(path, "utf8")) as { name: string };
    assert.equal(written.name, "kubeplane");
    await writeCniConfig(join(dir, "net.d"), { podCidr: "10.88.5.0/24", ipamDataDir: join(dir, "ipam") });
    assert.match(await readFile(path, "utf8"), /10\.88\.5\.0\/24/);
    assert.deepEqual(await readdir(join(dir, "net.d")), [CNI_CONFIG_FILE]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
