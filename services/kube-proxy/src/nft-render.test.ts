// Incremental nft transactions: small deltas, safe ordering, and every rendered script accepted by the real nft.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createNetns, deleteNetns, nsExec } from "../test/netns.js";
import { servicePort } from "../test/fixtures.js";
import { endpointChain, serviceChain } from "./chain-names.js";
import { renderDelta, renderFull } from "./nft-render.js";
import { nftRunner } from "./nft-runner.js";
import type { NftState } from "./nft-state.js";
import { buildRuleset, type RulesetOptions } from "./ruleset.js";
import type { ServicePortInfo } from "./service-port.js";

const opts: RulesetOptions = { nodeportAddresses: [], clusterCidr: "10.214.0.0/16", masqueradeBit: 14 };

/** `count` services, each with two endpoints; service i is 10.96.1.i. */
function services(count: number, tweak: (sp: ServicePortInfo, i: number) => ServicePortInfo = (sp) => sp): ServicePortInfo[] {
  return Array.from({ length: count }, (_, i) =>
    tweak(
      servicePort({
        id: `ns/svc${i}/tcp/http`,
        name: `svc${i}`,
        clusterIp: `10.96.1.${i + 1}`,
        endpoints: [
          { ip: `10.214.${i}.2`, port: 8080 },
          { ip: `10.214.${i}.3`, port: 8080 },
        ],
      }),
      i,
    ),
  );
}

const withThirdEndpoint = (sp: ServicePortInfo, i: number): ServicePortInfo => (i === 7 ? { ...sp, endpoints: [...sp.endpoints, { ip: "10.214.7.4", port: 8080 }] } : sp);

function delta(from: NftState, to: NftState): string {
  const d = renderDelta(from, to);
  assert.equal(typeof d, "string", JSON.stringify(d));
  return d as string;
}

describe("incremental rendering", () => {
  test("adding one endpoint to one of 50 services touches only that service's chains", () => {
    const before = buildRuleset(services(50), opts);
    const afterAdd = buildRuleset(services(50, withThirdEndpoint), opts);
    const sp = services(50, withThirdEndpoint)[7]!;
    const svc = serviceChain(sp);
    const ep = endpointChain(sp, { ip: "10.214.7.4", port: 8080 });
    assert.deepEqual(delta(before, afterAdd).trimEnd().split("\n"), [
      `add chain ip kube-proxy ${ep}`,
      `flush chain ip kube-proxy ${svc}`,
      `add rule ip kube-proxy ${svc} ip daddr 10.96.1.8 tcp dport 80 ip saddr != 10.214.0.0/16 jump mark-for-masquerade`,
      `add rule ip kube-proxy ${svc} numgen random mod 3 vmap { 0 : goto ${endpointChain(sp, sp.endpoints[0]!)} , 1 : goto ${endpointChain(sp, sp.endpoints[1]!)} , 2 : goto ${ep} }`,
      `add rule ip kube-proxy ${ep} ip saddr 10.214.7.4 jump mark-for-masquerade`,
      `add rule ip kube-proxy ${ep} meta l4proto tcp dnat to 10.214.7.4:8080`,
    ]);
    assert.ok(renderFull(afterAdd).split("\n").length > 300, "a full rewrite would be far larger");
  });

  test("an unchanged model renders an empty transaction", () => {
    assert.equal(delta(buildRuleset(services(5), opts), buildRuleset(services(5), opts)), "");
  });

  test("removing a service deletes its map element before flushing and deleting its chains", () => {
    const lines = delta(buildRuleset(services(3), opts), buildRuleset(services(2), opts)).trimEnd().split("\n");
    const sp = services(3)[2]!;
    const deleteElement = lines.indexOf("delete element ip kube-proxy service-ips { 10.96.1.3 . tcp . 80 }");
    const flushService = lines.indexOf(`flush chain ip kube-proxy ${serviceChain(sp)}`);
    const deleteService = lines.indexOf(`delete chain ip kube-proxy ${serviceChain(sp)}`);
    const deleteEndpoint = lines.indexOf(`delete chain ip kube-proxy ${endpointChain(sp, sp.endpoints[0]!)}`);
    assert.ok(deleteElement >= 0 && flushService > deleteElement && deleteService > flushService && deleteEndpoint > flushService, lines.join("\n"));
    assert.ok(lines.includes("delete element ip kube-proxy cluster-ips { 10.96.1.3 }"));
    assert.equal(lines.length, 8, "2 elements + 3 chains flushed + 3 deleted");
    assert.ok(!lines.some((l) => l.includes("table")), "never touches the table");
  });

  test("losing every endpoint moves the service from service-ips to the reject map", () => {
    const text = delta(buildRuleset(services(2), opts), buildRuleset(services(2, (sp, i) => (i === 1 ? { ...sp, endpoints: [] } : sp)), opts));
    assert.ok(text.includes("delete element ip kube-proxy service-ips { 10.96.1.2 . tcp . 80 }"));
    assert.ok(text.includes("add element ip kube-proxy no-endpoint-services { 10.96.1.2 . tcp . 80 : goto reject-chain }"));
  });

  test("a changed set declaration cannot be applied in place and asks for a full sync", () => {
    const a = buildRuleset(services(1, (sp) => ({ ...sp, affinitySeconds: 60 })), opts);
    const b = buildRuleset(services(1, (sp) => ({ ...sp, affinitySeconds: 120 })), opts);
    assert.match((renderDelta(a, b) as { blocked: string }).blocked, /affinity-.* changed declaration/);
  });
});

describe("the real nft accepts what is rendered", () => {
  let ns = "";
  before(async () => {
    ns = await createNetns("render");
  });
  after(async () => {
    await deleteNetns(ns);
  });

  const every = (): ServicePortInfo[] => [
    ...services(3),
    servicePort({ id: "ns/np/tcp/http", name: "np", clusterIp: "10.96.2.1", nodePort: 30080 }),
    servicePort({ id: "ns/lb/tcp/http", name: "lb", clusterIp: "10.96.2.2", nodePort: 30081, externalIps: ["192.0.2.10"] }),
    servicePort({ id: "ns/empty/tcp/http", name: "empty", clusterIp: "10.96.2.3", nodePort: 30082, externalIps: ["192.0.2.11"], endpoints: [] }),
    servicePort({ id: "ns/sticky/udp/dns", name: "sticky", clusterIp: "10.96.2.4", protocol: "udp", port: 53, affinitySeconds: 10_800 }),
    servicePort({ id: "ns/sctp/sctp/p9", name: "sctp", clusterIp: "10.96.2.5", protocol: "sctp", port: 9 }),
    servicePort({ id: "ns/etpl/tcp/http", name: "etpl", clusterIp: "10.96.2.6", nodePort: 30083, externalLocal: true, localEndpoints: [{ ip: "10.214.0.3", port: 8080 }], affinitySeconds: 60 }),
    servicePort({ id: "ns/etpl0/tcp/http", name: "etpl0", clusterIp: "10.96.2.7", nodePort: 30084, externalIps: ["192.0.2.12"], externalLocal: true }),
    servicePort({ id: "ns/itpl/tcp/http", name: "itpl", clusterIp: "10.96.2.8", nodePort: 30085, internalLocal: true, localEndpoints: [{ ip: "10.214.0.2", port: 8080 }] }),
    servicePort({ id: "ns/itpl0/tcp/http", name: "itpl0", clusterIp: "10.96.2.9", internalLocal: true }),
  ];

  test("the full ruleset of every service shape passes `nft -c`, then applies", async () => {
    const runner = nftRunner(ns);
    const script = renderFull(buildRuleset(every(), { ...opts, nodeportAddresses: ["10.214.0.0/24"] }));
    await runner.apply(script, { check: true });
    assert.equal(await runner.list("ip", "kube-proxy"), undefined, "check mode changed nothing");
    await runner.apply(script);
    const listed = await runner.list("ip", "kube-proxy");
    assert.ok(listed?.chains.has("nat-prerouting") && listed.maps.get("nodeport-ips") === "set");
  });

  test("deltas apply on top of the applied state and leave the kernel equal to the model", async () => {
    const runner = nftRunner(ns);
    let applied = buildRuleset(every(), opts);
    await runner.apply(renderFull(applied));
    const steps = [
      every().map((sp, i) => withThirdEndpoint(sp, i)),
      every().filter((sp) => sp.name !== "svc1"),
      every().map((sp) => (sp.name === "np" ? { ...sp, endpoints: [] } : sp)),
      every().map((sp) => (sp.name === "empty" ? { ...sp, endpoints: [{ ip: "10.214.9.9", port: 80 }] } : sp)),
    ];
    for (const ports of steps) {
      const next = buildRuleset(ports, opts);
      const script = delta(applied, next);
      await runner.apply(script, { check: true });
      await runner.apply(script);
      applied = next;
      const listed = await runner.list("ip", "kube-proxy");
      assert.deepEqual([...listed!.chains].sort(), [...next.chains.keys()].sort());
      assert.deepEqual([...listed!.maps.keys()].sort(), [...next.maps.keys()].sort());
    }
  });

  test("the ip6 table of every service shape (IPv6 ClusterIPs, endpoints, external IPs, affinity) passes `nft -c`, then applies beside the ip table", async () => {
    const runner = nftRunner(ns);
    const v6 = (ip: string): string => `fd00::${ip.replace(/\./g, ":")}`;
    const ports = every().map((sp) => ({
      ...sp,
      clusterIp: v6(sp.clusterIp),
      externalIps: sp.externalIps.map(v6),
      endpoints: sp.endpoints.map((e) => ({ ...e, ip: v6(e.ip) })),
      localEndpoints: sp.localEndpoints.map((e) => ({ ...e, ip: v6(e.ip) })),
    }));
    const state = buildRuleset(ports, { family: "ip6", nodeportAddresses: ["fd00::/64"], clusterCidr: "fd00::10:214:0:0/96", masqueradeBit: 14 });
    assert.equal(state.family, "ip6");
    const script = renderFull(state);
    assert.match(script, /dnat to \[fd00::10:214:0:2\]:8080/);
    assert.ok(!/\bip (saddr|daddr)/.test(script), "no IPv4 matches in the ip6 table");
    await runner.apply(script, { check: true });
    await runner.apply(script);
    const listed = await runner.list("ip6", "kube-proxy");
    assert.deepEqual([...listed!.chains].sort(), [...state.chains.keys()].sort());
  });

  test("an in-place full sync removes stale chains and elements but keeps the table", async () => {
    const runner = nftRunner(ns);
    const state = buildRuleset(services(2), opts);
    await runner.apply(renderFull(state));
    await runner.apply(
      ["add chain ip kube-proxy service-STALE000-x/y/tcp/p", "add element ip kube-proxy service-ips { 10.96.99.99 . tcp . 80 : goto service-STALE000-x/y/tcp/p }", ""].join("\n"),
    );
    const existing = await runner.list("ip", "kube-proxy");
    const script = renderFull(state, existing);
    assert.ok(!script.includes("delete table"), "in place");
    await runner.apply(script);
    const text = await nsExec(ns, ["nft", "list", "table", "ip", "kube-proxy"]);
    assert.ok(!text.includes("STALE") && !text.includes("10.96.99.99"), text);
    assert.ok(text.includes("10.96.1.1 . tcp . 80"), "wanted elements are back");
  });
});
