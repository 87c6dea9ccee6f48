// Rule generation for each Service shape: ClusterIP, NodePort, LoadBalancer, no endpoints, ClientIP affinity.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clusterChain, endpointChain, externalChain, localChain, serviceChain, shortHash } from "./chain-names.js";
import { renderFull } from "./nft-render.js";
import { buildRuleset, type RulesetOptions } from "./ruleset.js";
import type { ServicePortInfo } from "./service-port.js";
import { servicePort } from "../test/fixtures.js";

const opts: RulesetOptions = { nodeportAddresses: [], clusterCidr: "", masqueradeBit: 14 };

const render = (ports: ServicePortInfo[], o: RulesetOptions = opts): string => renderFull(buildRuleset(ports, o));

describe("ruleset", () => {
  test("chain names carry a stable hash and the readable service port", () => {
    const sp = servicePort();
    assert.equal(serviceChain(sp), `service-${shortHash("default/web/tcp/http")}-default/web/tcp/http`);
    assert.match(serviceChain(sp), /^service-[A-Z2-7]{8}-default\/web\/tcp\/http$/);
    assert.match(endpointChain(sp, { ip: "10.214.0.2", port: 8080 }), /^endpoint-[A-Z2-7]{8}-default\/web\/tcp\/http__10\.214\.0\.2\/8080$/);
    assert.notEqual(shortHash("a"), shortHash("b"));
  });

  test("a ClusterIP service maps ip . proto . port to a service chain that picks an endpoint at random", () => {
    const sp = servicePort();
    const text = render([sp]);
    const svc = serviceChain(sp);
    const ep2 = endpointChain(sp, { ip: "10.214.0.2", port: 8080 });
    const ep3 = endpointChain(sp, { ip: "10.214.0.3", port: 8080 });
    assert.match(text, /^add table ip kube-proxy\ndelete table ip kube-proxy\nadd table ip kube-proxy/);
    assert.ok(text.includes(`add element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 : goto ${svc} }`));
    assert.ok(text.includes(`add rule ip kube-proxy ${svc} numgen random mod 2 vmap { 0 : goto ${ep2} , 1 : goto ${ep3} }`));
    assert.ok(text.includes(`add rule ip kube-proxy ${ep2} ip saddr 10.214.0.2 jump mark-for-masquerade`), "hairpin traffic is masqueraded");
    assert.ok(text.includes(`add rule ip kube-proxy ${ep2} meta l4proto tcp dnat to 10.214.0.2:8080`));
    assert.ok(text.includes("add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }"), "numeric priority on output");
    assert.ok(text.includes("add rule ip kube-proxy masquerading masquerade fully-random"));
    assert.ok(!text.includes("add element ip kube-proxy service-nodeports"), "no NodePort element");
    assert.ok(!text.includes(externalChain(sp)), "no external chain without NodePort or external IPs");
    assert.ok(text.includes("add element ip kube-proxy cluster-ips { 10.96.0.50 }"), "other ports of the ClusterIP are rejected");
    assert.ok(text.includes("add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips goto reject-chain"));
  });

  test("a cluster CIDR masquerades ClusterIP traffic from outside it", () => {
    const sp = servicePort();
    const text = render([sp], { ...opts, clusterCidr: "10.214.0.0/16" });
    assert.ok(text.includes(`add rule ip kube-proxy ${serviceChain(sp)} ip daddr 10.96.0.50 tcp dport 80 ip saddr != 10.214.0.0/16 jump mark-for-masquerade`));
  });

  test("a NodePort goes through an external chain that masquerades, on every local address by default", () => {
    const sp = servicePort({ nodePort: 30080 });
    const text = render([sp]);
    const ext = externalChain(sp);
    assert.ok(text.includes(`add element ip kube-proxy service-nodeports { tcp . 30080 : goto ${ext} }`));
    assert.ok(text.includes(`add rule ip kube-proxy ${ext} jump mark-for-masquerade\nadd rule ip kube-proxy ${ext} goto ${serviceChain(sp)}`));
    assert.ok(text.includes("add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports"));
  });

  test("--nodeport-addresses limits NodePorts to local addresses in those CIDRs", () => {
    const text = render([servicePort({ nodePort: 30080 })], { ...opts, nodeportAddresses: ["10.214.0.0/24", "192.168.5.0/24"] });
    assert.ok(text.includes("add element ip kube-proxy nodeport-ips { 10.214.0.0/24, 192.168.5.0/24 }"));
    assert.ok(text.includes("add rule ip kube-proxy services fib daddr type local ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"));
  });

  test("LoadBalancer ingress IPs are service IPs that lead to the external chain", () => {
    const sp = servicePort({ nodePort: 31000, externalIps: ["192.0.2.10"] });
    const text = render([sp]);
    assert.ok(text.includes(`add element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 : goto ${serviceChain(sp)}, 192.0.2.10 . tcp . 80 : goto ${externalChain(sp)} }`));
  });

  test("a service without endpoints is rejected, not black-holed, on its ClusterIP, external IPs and NodePort", () => {
    const sp = servicePort({ endpoints: [], nodePort: 30081, externalIps: ["192.0.2.11"] });
    const text = render([sp]);
    assert.ok(text.includes("add element ip kube-proxy no-endpoint-services { 10.96.0.50 . tcp . 80 : goto reject-chain, 192.0.2.11 . tcp . 80 : goto reject-chain }"));
    assert.ok(text.includes("add element ip kube-proxy no-endpoint-nodeports { tcp . 30081 : goto reject-chain }"));
    assert.ok(text.includes("add rule ip kube-proxy reject-chain meta l4proto tcp reject with tcp reset"));
    assert.ok(text.includes("add rule ip kube-proxy filter-output ct state new jump service-endpoints-check"));
    assert.ok(!text.includes(serviceChain(sp)), "no service chain");
    assert.ok(!/service-ips \{ 10\.96\.0\.50/.test(text), "not in service-ips");
  });

  test("ClientIP affinity keeps a timed set of clients per endpoint, consulted before the random pick", () => {
    const sp = servicePort({ affinitySeconds: 600, protocol: "udp", id: "default/dns/udp/dns", port: 53, endpoints: [{ ip: "10.214.0.2", port: 5353 }] });
    const text = render([sp]);
    const ep = { ip: "10.214.0.2", port: 5353 };
    const set = `affinity-${shortHash("default/dns/udp/dns__10.214.0.2/5353")}-default/dns/udp/dns__10.214.0.2/5353`;
    assert.ok(text.includes(`add set ip kube-proxy ${set} { type ipv4_addr ; flags dynamic,timeout ; timeout 600s ; }`));
    const svcRules = text.split("\n").filter((l) => l.startsWith(`add rule ip kube-proxy ${serviceChain(sp)} `));
    assert.deepEqual(svcRules, [
      `add rule ip kube-proxy ${serviceChain(sp)} ip saddr @${set} goto ${endpointChain(sp, ep)}`,
      `add rule ip kube-proxy ${serviceChain(sp)} numgen random mod 1 vmap { 0 : goto ${endpointChain(sp, ep)} }`,
    ]);
    assert.ok(text.includes(`add rule ip kube-proxy ${endpointChain(sp, ep)} update @${set} { ip saddr }\nadd rule ip kube-proxy ${endpointChain(sp, ep)} meta l4proto udp dnat to 10.214.0.2:5353`));
    assert.ok(text.includes("add element ip kube-proxy service-ips { 10.96.0.50 . udp . 53 : goto"));
  });

  const ep2 = { ip: "10.214.0.2", port: 8080 };
  const ep3 = { ip: "10.214.0.3", port: 8080 };
  const rulesOf = (text: string, chain: string): string[] =>
    text.split("\n").filter((l) => l.startsWith(`add rule ip kube-proxy ${chain} `)).map((l) => l.slice(`add rule ip kube-proxy ${chain} `.length));

  test("externalTrafficPolicy Local: external traffic goes unmasqueraded to local endpoints; pod and node traffic to every endpoint", () => {
    const sp = servicePort({ nodePort: 30080, externalIps: ["192.0.2.10"], externalLocal: true, localEndpoints: [ep3] });
    const text = render([sp], { ...opts, clusterCidr: "10.214.0.0/16" });
    const ext = externalChain(sp);
    assert.deepEqual(rulesOf(text, ext), [
      `ip saddr 10.214.0.0/16 goto ${serviceChain(sp)}`,
      "fib saddr type local jump mark-for-masquerade",
      `fib saddr type local goto ${serviceChain(sp)}`,
      `goto ${localChain(sp)}`,
    ]);
    assert.deepEqual(rulesOf(text, localChain(sp)), [`numgen random mod 1 vmap { 0 : goto ${endpointChain(sp, ep3)} }`]);
    assert.ok(text.includes(`add element ip kube-proxy service-nodeports { tcp . 30080 : goto ${ext} }`));
    assert.match(rulesOf(text, serviceChain(sp)).at(-1)!, /numgen random mod 2 /, "ClusterIP traffic still reaches both endpoints");
  });

  test("externalTrafficPolicy Local without a local endpoint drops external traffic (other nodes serve it); the ClusterIP still works", () => {
    const sp = servicePort({ nodePort: 30080, externalIps: ["192.0.2.10"], externalLocal: true, localEndpoints: [] });
    const text = render([sp]);
    assert.ok(text.includes("add element ip kube-proxy no-endpoint-nodeports { tcp . 30080 : drop }"));
    assert.ok(text.includes("add element ip kube-proxy no-endpoint-services { 192.0.2.10 . tcp . 80 : drop }"));
    assert.ok(text.includes(`add element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 : goto ${serviceChain(sp)} }`));
    assert.ok(!text.includes(externalChain(sp)) && !text.includes(localChain(sp)));
  });

  test("internalTrafficPolicy Local: the ClusterIP picks local endpoints only, drops without one; NodePorts still reach every endpoint", () => {
    const sp = servicePort({ nodePort: 30080, internalLocal: true, localEndpoints: [ep2] });
    const text = render([sp]);
    assert.deepEqual(rulesOf(text, serviceChain(sp)), [`numgen random mod 1 vmap { 0 : goto ${endpointChain(sp, ep2)} }`]);
    assert.deepEqual(rulesOf(text, externalChain(sp)), ["jump mark-for-masquerade", `goto ${clusterChain(sp)}`]);
    assert.match(rulesOf(text, clusterChain(sp))[0]!, /numgen random mod 2 /);
    assert.ok(text.includes(`add chain ip kube-proxy ${endpointChain(sp, ep3)}`));
    const none = render([servicePort({ internalLocal: true, localEndpoints: [] })]);
    assert.ok(none.includes("add element ip kube-proxy no-endpoint-services { 10.96.0.50 . tcp . 80 : drop }"), none);
    assert.ok(!none.includes("add chain ip kube-proxy endpoint-"), "no endpoint chains when nothing can pick them");
    const empty = render([servicePort({ internalLocal: true, endpoints: [], localEndpoints: [] })]);
    assert.ok(empty.includes("no-endpoint-services { 10.96.0.50 . tcp . 80 : goto reject-chain }"), "no endpoints anywhere still rejects");
  });

  test("ClientIP affinity also applies among local endpoints", () => {
    const sp = servicePort({ nodePort: 30080, externalLocal: true, localEndpoints: [ep3], affinitySeconds: 60 });
    const text = render([sp]);
    assert.equal(rulesOf(text, localChain(sp))[0], `ip saddr @${`affinity-${shortHash("default/web/tcp/http__10.214.0.3/8080")}-default/web/tcp/http__10.214.0.3/8080`} goto ${endpointChain(sp, ep3)}`);
  });
});
