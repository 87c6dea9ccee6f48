// Unit tests of the bare-metal configuration and inventory validation: every error names its field path.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBareMetalConfig, parseInventory, ProviderConfigError } from "./config.js";

function errorOf(fn: () => unknown): ProviderConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProviderConfigError, `expected a ProviderConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

describe("inventory validation", () => {
  it("reads machines with addresses, topology, labels, shutdown and netns", () => {
    const machines = parseInventory(
      `machines:
  - name: m1
    addresses: [{type: InternalIP, address: 10.0.0.1}, {type: Hostname, address: m1.example}]
    zone: z1
    region: r1
    instanceType: metal.large
    labels: {rack: "7"}
    shutdown: true
    netns: kp-m1
`,
      "inv.yaml",
    );
    assert.deepEqual(machines, [
      {
        name: "m1",
        addresses: [{ type: "InternalIP", address: "10.0.0.1" }, { type: "Hostname", address: "m1.example" }],
        zone: "z1",
        region: "r1",
        instanceType: "metal.large",
        labels: { rack: "7" },
        shutdown: true,
        netns: "kp-m1",
      },
    ]);
  });

  it("names the field path and reason of every error", () => {
    const err = errorOf(() =>
      parseInventory(
        `machines:
  - name: a
  - name: a
    addresses: [{type: InternalIP, address: 300.1.1.1}]
  - name: c
    addresses: [{type: Foo, address: 10.0.0.3}]
    shutdown: "yes"
    color: red
  - addresses: []
`,
        "inv.yaml",
      ),
    );
    const messages = err.message;
    assert.match(messages, /^inv\.yaml: /);
    assert.match(messages, /inventory\.machines\[1\]\.name: Duplicate value: "a"/);
    assert.match(messages, /inventory\.machines\[1\]\.addresses\[0\]\.address: Invalid value: "300\.1\.1\.1": must be a valid IP address/);
    assert.match(messages, /inventory\.machines\[2\]\.addresses\[0\]\.type: Unsupported value: "Foo"/);
    assert.match(messages, /inventory\.machines\[2\]\.shutdown: Invalid value/);
    assert.match(messages, /inventory\.machines\[2\]\.color: /);
    assert.match(messages, /inventory\.machines\[3\]\.name: Required value/);
    assert.equal(err.errors.length, 6);
  });

  it("rejects a document that is not YAML or not a mapping", () => {
    assert.match(errorOf(() => parseInventory("machines: [", "inv.yaml")).message, /not valid YAML/);
    assert.match(errorOf(() => parseInventory("machines: 3", "inv.yaml")).message, /inventory\.machines: Invalid value: 3: must be a list/);
  });
});

describe("provider configuration", () => {
  it("resolves the inventory relative to the configuration file and parses pools of CIDRs, ranges and addresses", () => {
    const cfg = parseBareMetalConfig(
      `inventory: {file: machines.yaml}
loadBalancer:
  pools:
    - name: public
      addresses: [192.0.2.0/30, 192.0.2.10-192.0.2.11, 192.0.2.20]
`,
      "/etc/kubeplane/cloud.yaml",
    );
    assert.equal(cfg.inventoryFile, "/etc/kubeplane/machines.yaml");
    assert.equal(cfg.pools.length, 1);
    assert.deepEqual(
      cfg.pools[0]!.ranges.map((r) => r.last - r.first + 1),
      [4, 2, 1],
    );
  });

  it("names bad pools, overlaps and a missing inventory", () => {
    const err = errorOf(() =>
      parseBareMetalConfig(
        `loadBalancer:
  pools:
    - name: a
      addresses: [10.0.0.0/24, 10.0.0.5/24]
    - name: b
      addresses: [10.0.0.100-10.0.1.3, 10.1.0.9-10.1.0.1]
    - name: a
      addresses: []
extra: 1
`,
        "cloud.yaml",
      ),
    );
    assert.match(err.message, /inventory\.file: Required value/);
    assert.match(err.message, /loadBalancer\.pools\[0\]\.addresses\[1\]: Invalid value: "10\.0\.0\.5\/24": host bits must be zero/);
    assert.match(err.message, /loadBalancer\.pools\[1\]\.addresses\[0\]: Invalid value: "10\.0\.0\.100-10\.0\.1\.3": overlaps loadBalancer\.pools\[0\]\.addresses\[0\]/);
    assert.match(err.message, /loadBalancer\.pools\[1\]\.addresses\[1\]: Invalid value: .*ends \(10\.1\.0\.1\) before it starts/);
    assert.match(err.message, /loadBalancer\.pools\[2\]\.name: Duplicate value: "a"/);
    assert.match(err.message, /loadBalancer\.pools\[2\]\.addresses: Required value/);
    assert.match(err.message, /extra: /);
  });
});
