// NetworkPolicy sync cost: 100 namespaces × 10 pods on the node (× KP_BENCH_SCALE), 3 policies each, compile + render + one real nft transaction in a bench netns.
import { networkingV1NetworkPolicy } from "@kubeplane/api";
import { parseBenchScale, percentile } from "@kubeplane/testing";
import { compileRuleset, nftRunner, renderRuleset, type NetpolModel, type NetpolPod } from "../src/index.js";
import { rulesetCounts } from "../src/netpol/index.js";
import { createNetns, deleteNetns } from "../test/netns.js";

const scale = parseBenchScale(process.env.KP_BENCH_SCALE);
const namespaceCount = Math.max(1, Math.round(100 * scale));
const podsPerNamespace = 10;
const runs = 20;
const ip = (n: number): string => `10.${128 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;

/** Each namespace: default deny, web → db on 5432, ingress from the monitoring namespace; pods alternate web/db. */
function model(): NetpolModel {
  const pods: NetpolPod[] = [];
  const namespaces = new Map<string, Record<string, string>>();
  const policies: networkingV1NetworkPolicy.NetworkPolicy[] = [];
  const policy = (namespace: string, name: string, spec: Record<string, unknown>) =>
    networkingV1NetworkPolicy.NetworkPolicy.fromJSON({ metadata: { namespace, name }, spec });
  for (let n = 0; n < namespaceCount; n++) {
    const ns = `team-${n}`;
    namespaces.set(ns, { team: n === 0 ? "monitoring" : "app" });
    for (let p = 0; p < podsPerNamespace; p++) {
      pods.push({ namespace: ns, name: `pod-${p}`, nodeName: "node-a", labels: { app: p % 2 ? "db" : "web" }, ips: [ip(n * podsPerNamespace + p + 1)], namedPorts: new Map() });
    }
    policies.push(policy(ns, "deny", { podSelector: {} }));
    policies.push(policy(ns, "web-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "TCP", port: 5432 }] }] }));
    policies.push(policy(ns, "monitoring", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "monitoring" } } }], ports: [{ protocol: "TCP", port: 9090 }] }] }));
  }
  return { pods, namespaces, policies, nodes: new Set(["node-a"]) };
}

async function main(): Promise<void> {
  const m = model();
  const compileMs: number[] = [];
  let script = "";
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    script = renderRuleset(compileRuleset(m));
    compileMs.push(performance.now() - start);
  }
  const counts = rulesetCounts(compileRuleset(m));
  const netns = await createNetns("netpol-bench");
  const applyMs: number[] = [];
  try {
    const runner = nftRunner(netns);
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await runner.apply(script);
      applyMs.push(performance.now() - start);
    }
  } finally {
    await deleteNetns(netns);
  }
  const p = (xs: number[], q: number): string => percentile(Float64Array.from(xs).sort(), q).toFixed(1);
  process.stdout.write(
    `${m.pods.length} local pods, ${m.policies.length} policies: ${counts.chains} chains, ${counts.rules} rules, ${counts.sets} sets, ${counts.elements} elements, ${script.length} bytes\n` +
      `compile+render ms min ${p(compileMs, 0)} p50 ${p(compileMs, 50)} p95 ${p(compileMs, 95)}; nft transaction ms min ${p(applyMs, 0)} p50 ${p(applyMs, 50)} p95 ${p(applyMs, 95)} (${runs} runs)\n`,
  );
}

await main();
