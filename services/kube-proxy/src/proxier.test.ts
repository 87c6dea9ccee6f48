// The sync loop against the real nft in a test namespace: bursts coalesce, changes go as deltas, a broken table is rebuilt.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Registry } from "prom-client";
import { createLogger } from "@kubeplane/service-kit";
import { waitFor } from "@kubeplane/testing";
import { createNetns, deleteNetns, nsExec, nsRun } from "../test/netns.js";
import { servicePort } from "../test/fixtures.js";
import { kubeProxyMetrics } from "./metrics.js";
import { nftRunner } from "./nft-runner.js";
import { Proxier } from "./proxier.js";
import type { ServicePortInfo } from "./service-port.js";

describe("proxier", () => {
  let ns = "";
  let ports: ServicePortInfo[] = [];
  let proxier: Proxier;
  let registry: Registry;
  const stop = new AbortController();
  let running: Promise<void> = Promise.resolve();

  before(async () => {
    ns = await createNetns("proxier");
    registry = new Registry();
    ports = [servicePort()];
    proxier = new Proxier({
      runner: nftRunner(ns),
      ruleset: { nodeportAddresses: [], clusterCidr: "", masqueradeBit: 14 },
      servicePorts: () => ports,
      minSyncPeriodMs: 150,
      syncPeriodMs: 3_600_000,
      logger: createLogger("kube-proxy-test", "silent"),
      metrics: kubeProxyMetrics(registry),
    });
    running = proxier.run(stop.signal);
    await waitFor(() => proxier.synced && proxier.idle, { message: "first sync" });
  });

  after(async () => {
    stop.abort();
    await running;
    await deleteNetns(ns);
  });

  test("the first sync is full and creates the table", async () => {
    assert.equal(proxier.lastResult?.kind, "full");
    assert.match(await nsExec(ns, ["nft", "list", "table", "ip", "kube-proxy"]), /10\.96\.0\.50 \. tcp \. 80 : goto service-/);
  });

  test("a burst of changes is applied as one small delta", async () => {
    const syncsBefore = proxier.syncs;
    for (let i = 4; i < 24; i++) {
      ports = [servicePort({ endpoints: [...servicePort().endpoints, { ip: `10.214.0.${i}`, port: 8080 }] })];
      proxier.changed("endpoints");
    }
    await waitFor(() => proxier.syncs > syncsBefore && proxier.idle, { message: "the coalesced sync" });
    assert.equal(proxier.syncs, syncsBefore + 1, "20 changes, one sync");
    assert.equal(proxier.lastResult?.kind, "partial");
    assert.ok(proxier.lastResult.commands <= 6, String(proxier.lastResult.commands));
    const metrics = await registry.metrics();
    assert.match(metrics, /kubeproxy_sync_proxy_rules_endpoint_changes_total 20/);
    assert.match(metrics, /kubeproxy_sync_proxy_rules_endpoint_changes_pending 0/);
    assert.match(await nsExec(ns, ["nft", "list", "table", "ip", "kube-proxy"]), /dnat to 10\.214\.0\.23:8080/);
  });

  test("a table deleted behind its back fails the delta and is rebuilt by a full sync", async () => {
    await nsExec(ns, ["nft", "delete", "table", "ip", "kube-proxy"]);
    ports = [servicePort({ clusterIp: "10.96.0.77" })];
    proxier.changed("service");
    await waitFor(async () => (await nsRun(ns, ["nft", "list", "table", "ip", "kube-proxy"])).stdout.includes("10.96.0.77"), { message: "the rebuilt table" });
    await waitFor(() => proxier.idle, { message: "idle" });
    assert.equal(proxier.lastResult?.kind, "full");
    assert.match(await registry.metrics(), /kubeproxy_sync_proxy_rules_nftables_sync_failures_total 1/);
  });
});
