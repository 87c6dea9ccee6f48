// Integration tests of the Endpoints controller on a real apiserver, etcd and NATS, with stand-in kubelets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { coreV1Pod} from "@kubeplane/api";
import { coreV1Service, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import type { ControllerManager } from "../src/index.js";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";
import { labelledPod, selectingService } from "./service-fixtures.js";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;
type Endpoints = coreV1Service.Endpoints;

const services = kindFor("v1", "Service") as KindInfo<Service>;
const endpointsKind = kindFor("v1", "Endpoints") as KindInfo<Endpoints>;
const ns = "default";

describe("endpoints controller", () => {
  let cluster: CmCluster;
  let cm: ControllerManager;
  const stop = new AbortController();
  let background: Promise<unknown>;
  /** Every Endpoints write seen (ADDED, MODIFIED, DELETED), by name. */
  const writes = new Map<string, number>();

  before(async () => {
    cluster = await startCmCluster();
    const count = (e: Endpoints): void => void writes.set(e.metadata!.name, (writes.get(e.metadata!.name) ?? 0) + 1);
    const recorder = new Informer({ client: cluster.client, watch: cluster.watch, kind: endpointsKind });
    recorder.addEventHandler({ onAdd: count, onUpdate: (_old, e) => count(e), onDelete: count });
    background = Promise.all([startFakeKubelets(cluster, ["node-1", "node-2"], stop.signal), recorder.run(stop.signal)]);
    await recorder.waitForSync(stop.signal);
    cm = await cluster.startControllerManager({ controllers: ["endpoints"] });
  });

  after(async () => {
    stop.abort();
    await background?.catch(() => undefined);
    await cluster?.stop();
  });

  async function createPod(name: string, labels: Record<string, string>, ports: Array<{ name: string; containerPort: number }> = []): Promise<void> {
    await cluster.client.create(pods, labelledPod(ns, name, labels, ports));
  }

  async function createService(name: string, selector: Record<string, string>, targetPort: string): Promise<void> {
    await cluster.client.create(services, selectingService(ns, name, selector, targetPort));
  }

  async function setReady(name: string, ready: boolean): Promise<void> {
    const pod = (await cluster.client.get(pods, ns, name)) as Pod;
    pod.status!.conditions = pod.status!.conditions.map((c) => (c.type === "Ready" ? { ...c, status: ready ? "True" : "False" } : c));
    await cluster.client.updateStatus(pods, pod);
  }

  /** The Endpoints once `check` accepts them. */
  function waitForEndpoints(name: string, check: (ep: Endpoints) => boolean, message: string): Promise<Endpoints> {
    return waitFor(async () => {
      try {
        const ep = (await cluster.client.get(endpointsKind, ns, name)) as Endpoints;
        return check(ep) ? ep : undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }, { message });
  }

  async function reconciles(): Promise<number> {
    const { values } = await cm.manager.metrics.reconcileTotal.get();
    return values.filter((v) => v.labels.controller === "endpoints").reduce((n, v) => n + v.value, 0);
  }

  const ips = (list: Array<{ ip: string }>): string[] => list.map((a) => a.ip).sort();
  const podIps = async (names: string[]): Promise<string[]> =>
    Promise.all(names.map(async (n) => ((await cluster.client.get(pods, ns, n)) as Pod).status!.podIp)).then((l) => l.sort());

  it("lists the 3 Running and Ready pods a Service selects as ready addresses, and moves a not-ready one to notReadyAddresses", async () => {
    await createService("web", { app: "web" }, "8080");
    await Promise.all(["web-a", "web-b", "web-c"].map((n) => createPod(n, { app: "web" })));
    await createPod("db-a", { app: "db" });
    const ep = await waitForEndpoints("web", (e) => e.subsets.length === 1 && e.subsets[0]!.addresses.length === 3, "3 ready addresses");
    const subset = ep.subsets[0]!;
    assert.deepEqual(ips(subset.addresses), await podIps(["web-a", "web-b", "web-c"]));
    assert.deepEqual(subset.notReadyAddresses, []);
    assert.deepEqual(subset.ports.map((p) => [p.name, p.port, p.protocol]), [["http", 8080, "TCP"]]);
    for (const a of subset.addresses) {
      assert.ok(["node-1", "node-2"].includes(a.nodeName ?? ""), `address ${a.ip} names its node`);
      assert.equal(a.targetRef?.kind, "Pod");
      assert.ok(a.targetRef?.name.startsWith("web-"));
    }

    await setReady("web-b", false);
    const after = await waitForEndpoints("web", (e) => e.subsets[0]?.notReadyAddresses.length === 1, "web-b not ready");
    assert.deepEqual(after.subsets[0]!.notReadyAddresses.map((a) => a.targetRef?.name), ["web-b"]);
    assert.deepEqual(after.subsets[0]!.addresses.map((a) => a.targetRef?.name).sort(), ["web-a", "web-c"]);
  });

  it("resolves a named targetPort per pod and leaves out pods without that port", async () => {
    await createService("named", { app: "named" }, "web");
    await createPod("named-a", { app: "named" }, [{ name: "web", containerPort: 8080 }]);
    await createPod("named-b", { app: "named" }, [{ name: "web", containerPort: 9090 }]);
    await createPod("named-c", { app: "named" }, [{ name: "admin", containerPort: 8080 }]);
    const ep = await waitForEndpoints("named", (e) => e.subsets.length === 2, "two subsets");
    const byPort = ep.subsets.map((s) => [s.ports.map((p) => p.port), s.addresses.map((a) => a.targetRef?.name)]).sort();
    assert.deepEqual(byPort, [[[8080], ["named-a"]], [[9090], ["named-b"]]]);
  });

  it("writes nothing when a reconcile finds nothing changed", async () => {
    await waitForEndpoints("web", (e) => e.subsets[0]?.notReadyAddresses.length === 1, "steady state");
    const before = writes.get("web") ?? 0;
    const reconciled = await reconciles();
    // A pod label and a Service annotation change: both reconcile "web", neither changes its Endpoints.
    const pod = (await cluster.client.get(pods, ns, "web-a")) as Pod;
    pod.metadata!.labels = { ...pod.metadata!.labels, extra: "yes" };
    await cluster.client.update(pods, pod);
    const svc = (await cluster.client.get(services, ns, "web")) as Service;
    svc.metadata!.annotations = { ...svc.metadata!.annotations, note: "no endpoint change" };
    await cluster.client.update(services, svc);
    await waitFor(async () => (await reconciles()) >= reconciled + 2, { message: "the no-op reconciles" });
    // A real change after them: watch events come in revision order, so any write of theirs shows first.
    await setReady("web-b", true);
    await waitForEndpoints("web", (e) => e.subsets[0]?.addresses.length === 3, "web-b ready again");
    await waitFor(() => writes.get("web") === before + 1 || undefined, { message: "the recorder to see the write" });
    assert.equal(writes.get("web"), before + 1, "only the readiness change was written");
  });

  it("leaves Endpoints of a Service without a selector alone", async () => {
    const manual = coreV1Service.Service.fromPartial({ apiVersion: "v1", kind: "Service", metadata: { name: "manual", namespace: ns }, spec: { ports: [{ name: "db", port: 5432, protocol: "TCP" }] } });
    const user = coreV1Service.Endpoints.fromPartial({
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "manual", namespace: ns },
      subsets: [{ addresses: [{ ip: "192.0.2.10" }], ports: [{ name: "db", port: 5432, protocol: "TCP" }] }],
    });
    await cluster.client.create(endpointsKind, user);
    const reconciled = await reconciles();
    await cluster.client.create(services, manual);
    await waitFor(async () => (await reconciles()) > reconciled, { message: "the manual service's reconcile" });
    const ep = (await cluster.client.get(endpointsKind, ns, "manual")) as Endpoints;
    assert.deepEqual(ips(ep.subsets[0]!.addresses), ["192.0.2.10"]);
    assert.equal(writes.get("manual"), 1, "only the user's create");
  });

  it("keeps empty Endpoints when the pods go, and deletes them with the Service", async () => {
    await Promise.all(["web-a", "web-b", "web-c"].map((n) => cluster.client.delete(pods, ns, n)));
    const ep = await waitForEndpoints("web", (e) => e.subsets.length === 0, "empty subsets");
    assert.deepEqual(ep.subsets, []);
    await cluster.client.delete(services, ns, "web");
    await waitFor(async () => {
      try {
        await cluster.client.get(endpointsKind, ns, "web");
        return undefined;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    }, { message: "the Endpoints to be deleted" });
  });
});
