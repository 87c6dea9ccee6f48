// Leader election through a Lease in a real apiserver: one leader, hand-over on release and on a silent leader.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { startEtcd, startNats, startServiceProcess, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { LeaseElection } from "../src/index.js";

const apiserverMain = fileURLToPath(new URL("../../../services/apiserver/src/main.ts", import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let etcd: EtcdCluster;
let nats: NatsServer;
let apiserver: ServiceProcess;

before(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
});
after(async () => {
  await apiserver?.kill();
  await Promise.allSettled([etcd?.stop(), nats?.stop()]);
});

function campaigner(name: string, identity: string, client: ApiClient) {
  const state = { leading: false, terms: 0 };
  const election = new LeaseElection(client, {
    namespace: "kube-system",
    name,
    identity,
    leaseDurationMs: 1500,
    renewDeadlineMs: 1000,
    retryPeriodMs: 200,
    logger: quiet,
    onChange: (leading) => {
      state.leading = leading;
      if (leading) state.terms++;
    },
  });
  const controller = new AbortController();
  const done = election.run(controller.signal, (term) => new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true })));
  return { state, controller, done };
}

test("only one campaigner leads; a released lease passes to the standby at once", async () => {
  const client = ApiClient.connect({ server: apiserver.grpcAddress });
  const a = campaigner("release-test", "a", client);
  await waitFor(() => a.state.leading, { message: "a leads" });
  const b = campaigner("release-test", "b", client);
  const lease = await client.get(kindFor("coordination.k8s.io/v1", "Lease")!, "kube-system", "release-test");
  assert.equal((lease as unknown as { spec: { holderIdentity: string } }).spec.holderIdentity, "a");
  assert.equal(b.state.leading, false);
  a.controller.abort();
  assert.equal(await a.done, true, "an aborted leader reports a clean end");
  const started = Date.now();
  await waitFor(() => b.state.leading, { message: "b leads after a released" });
  assert.ok(Date.now() - started < 1500, "the standby took over before the lease would have expired");
  b.controller.abort();
  await b.done;
  client.close();
});

test("a leader that stops renewing steps down, and the standby takes over after the lease expires", async () => {
  const clientA = ApiClient.connect({ server: apiserver.grpcAddress });
  const clientB = ApiClient.connect({ server: apiserver.grpcAddress });
  const a = campaigner("silent-test", "a", clientA);
  await waitFor(() => a.state.leading, { message: "a leads" });
  const b = campaigner("silent-test", "b", clientB);
  clientA.close(); // a can no longer renew, as if partitioned from the apiserver
  assert.equal(await a.done, false, "a reports that it lost leadership");
  await waitFor(() => b.state.leading, { timeoutMs: 5000, message: "b leads once a's lease expired" });
  b.controller.abort();
  await b.done;
  clientB.close();
});
