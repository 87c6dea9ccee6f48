// kube-proxy sync time: 1,000 Services × 10 endpoints (× KP_BENCH_SCALE), full sync and a one-endpoint change, real nft in a bench netns.
import { benchProgress, parseBenchScale, percentile } from "@kubeplane/testing";
import { FragmentCache, buildRuleset, nftRunner, renderDelta, renderFull, type NftState, type RulesetOptions, type ServicePortInfo } from "../src/index.js";
import { createNetns, deleteNetns } from "../test/netns.js";

const scale = parseBenchScale(process.env.KP_BENCH_SCALE);
const serviceCount = Math.max(1, Math.round(1000 * scale));
const endpointsPerService = 10;
const changes = 20;
const opts: RulesetOptions = { nodeportAddresses: [], clusterCidr: "10.128.0.0/9", masqueradeBit: 14 };

const ip = (base: number, n: number): string => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** Service i: ClusterIP 10.96.x.y, every tenth a NodePort, endpoints on 10.128+… ; `version` shifts one endpoint of service 0. */
function model(version: number): ServicePortInfo[] {
  return Array.from({ length: serviceCount }, (_, i) => ({
    id: `bench/svc-${i}/tcp/http`,
    namespace: "bench",
    name: `svc-${i}`,
    protocol: "tcp" as const,
    clusterIp: ip(10, (96 << 16) + i + 1),
    port: 80,
    nodePort: i % 10 === 0 ? 30000 + (i / 10) : 0,
    externalIps: [],
    affinitySeconds: 0,
    localEndpoints: [],
    externalLocal: false,
    internalLocal: false,
    healthCheckNodePort: 0,
    endpoints: Array.from({ length: endpointsPerService }, (_, e) => ({
      ip: ip(10, (128 << 16) + i * endpointsPerService + e + (i === 0 && e === 0 ? version * 100_000 : 0)),
      port: 8080,
    })),
  }));
}

const ms = (start: number): number => performance.now() - start;
const fmt = (n: number): string => n.toFixed(1);

async function main(): Promise<void> {
  const netns = await createNetns("bench");
  try {
    const runner = nftRunner(netns);
    benchProgress(`${serviceCount} services × ${endpointsPerService} endpoints in ${netns}`);
    // As the proxier does: unchanged Service ports keep their rendered fragments between syncs.
    const cache = new FragmentCache();
    let t = performance.now();
    let state: NftState = buildRuleset(model(0), opts, cache);
    const script = renderFull(state);
    const renderMs = ms(t);
    t = performance.now();
    await runner.apply(script);
    const applyMs = ms(t);
    const lines = script.split("\n").length - 1;

    t = performance.now();
    const existing = await runner.list("ip", "kube-proxy");
    const inPlace = renderFull(buildRuleset(model(0), opts, cache), existing);
    await runner.apply(inPlace);
    const resyncMs = ms(t);

    const deltaMs = new Float64Array(changes);
    let deltaLines = 0;
    for (let v = 1; v <= changes; v++) {
      t = performance.now();
      const next = buildRuleset(model(v), opts, cache);
      const delta = renderDelta(state, next);
      if (typeof delta !== "string") throw new Error(delta.blocked);
      await runner.apply(delta);
      deltaMs[v - 1] = ms(t);
      deltaLines = delta.split("\n").length - 1;
      state = next;
    }
    deltaMs.sort();
    process.stdout.write(
      [
        `kube-proxy nftables sync, ${serviceCount} services × ${endpointsPerService} endpoints (${state.chains.size} chains, ${lines} nft commands):`,
        `  full sync (table replaced):      ${fmt(renderMs + applyMs)} ms  (render ${fmt(renderMs)} ms, nft -f ${fmt(applyMs)} ms)`,
        `  full resync (in place, listed):  ${fmt(resyncMs)} ms`,
        `  one-endpoint change (${deltaLines} commands): p50 ${fmt(percentile(deltaMs, 50))} ms, p99 ${fmt(percentile(deltaMs, 99))} ms over ${changes} (model rebuild + diff + nft -f)`,
        "",
      ].join("\n"),
    );
  } finally {
    await deleteNetns(netns);
  }
}

await main();
