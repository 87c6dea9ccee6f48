// Integration tests of the EndpointSlice controller on a real apiserver, etcd and NATS, with stand-in kubelets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { coreV1Pod, coreV1Service} from "@kubeplane/api";
import { coreV1Node, kindFor, type KindInfo, type discoveryV1 } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import type { ControllerManager } from "../src/index.js";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";
import { labelledPod, selectingService } from "./service-fixtures.js";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;
type EndpointSlice = discoveryV1.EndpointSlice;

const services = kindFor("v1", "Service") as KindInfo<Service>;
const slicesKind = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<EndpointSlice>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const ns = "default";
const serviceNameLabel = "kubernetes.io/service-name";

describe("endpointslice controller", () => {
  let cluster: CmCluster;
  let cm: ControllerManager;
  const stop = new AbortController();
  let background: Promise<unknown>;
  /** Every EndpointSlice write seen (ADDED, MODIFIED, DELETED), by service. */
  const writes = new Map<string, number>();

  before(async () => {
    cluster = await startCmCluster();
    const node = coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1", labels: { "topology.kubernetes.io/zone": "zone-a" } } });
    await cluster.client.create(nodes, node);
    const count = (s: EndpointSlice): void => {
      const svc = s.metadata!.labels[serviceNameLabel] ?? "";
      writes.set(svc, (writes.get(svc) ?? 0) + 1);
    };
    const recorder = new Informer({ client: cluster.client, watch: cluster.watch, kind: slicesKind });
    recorder.addEventHandler({ onAdd: count, onUpdate: (_old, s) => count(s), onDelete: count });
    background = Promise.all([startFakeKubelets(cluster, ["node-1", "node-2"], stop.signal), recorder.run(stop.signal)]);
    await recorder.waitForSync(stop.signal);
    cm = await cluster.startControllerManager({ controllers: ["endpointslice"] });
  });

  after(async () => {
    stop.abort();
    await background?.catch(() => undefined);
    await cluster?.stop();
  });

  async function createPod(name: string, labels: Record<string, string>, ports: Array<{ name: string; containerPort: number }> = []): Promise<void> {
    await cluster.client.create(pods, labelledPod(ns, name, labels, ports));
  }

  async function createService(name: string, selector: Record<string, string>, targetPort: string): Promise<Service> {
    return (await cluster.client.create(services, selectingService(ns, name, selector, targetPort))) as Service;
  }

  async function setReady(name: string, ready: boolean): Promise<void> {
    const pod = (await cluster.client.get(pods, ns, name)) as Pod;
    pod.status!.conditions = pod.status!.conditions.map((c) => (c.type === "Ready" ? { ...c, status: ready ? "True" : "False" } : c));
    await cluster.client.updateStatus(pods, pod);
  }

  async function slicesOf(service: string): Promise<EndpointSlice[]> {
    return (await cluster.client.list(slicesKind, { namespace: ns, labelSelector: `${serviceNameLabel}=${service}` })).items as EndpointSlice[];
  }

  /** The service's slices once `check` accepts them. */
  function waitForSlices(service: string, check: (slices: EndpointSlice[]) => boolean, message: string): Promise<EndpointSlice[]> {
    return waitFor(async () => {
      const slices = await slicesOf(service);
      return check(slices) ? slices : undefined;
    }, { message });
  }

  async function reconciles(): Promise<number> {
    const { values } = await cm.manager.metrics.reconcileTotal.get();
    return values.filter((v) => v.labels.controller === "endpointslice").reduce((n, v) => n + v.value, 0);
  }

  const endpointsOf = (slices: EndpointSlice[]): discoveryV1.Endpoint[] => slices.flatMap((s) => s.endpoints);
  const readyNames = (slices: EndpointSlice[], ready: boolean): string[] =>
    endpointsOf(slices).filter((e) => e.conditions?.ready === ready).map((e) => e.targetRef!.name).sort();

  it("gives a Service selecting 3 Running and Ready pods one slice with 3 ready endpoints, then marks a not-ready pod ready=false", async () => {
    const svc = await createService("web", { app: "web" }, "8080");
    await Promise.all(["web-a", "web-b", "web-c"].map((n) => createPod(n, { app: "web" })));
    await createPod("db-a", { app: "db" });
    const [slice] = await waitForSlices("web", (s) => s.length === 1 && readyNames(s, true).length === 3, "a slice with 3 ready endpoints");
    assert.deepEqual(readyNames([slice!], true), ["web-a", "web-b", "web-c"]);
    assert.equal(slice!.addressType, "IPv4");
    assert.equal(slice!.metadata!.generateName, "web-");
    assert.equal(slice!.metadata!.labels["endpointslice.kubernetes.io/managed-by"], "endpointslice-controller.k8s.io");
    assert.deepEqual(slice!.metadata!.ownerReferences.map((r) => [r.kind, r.name, r.uid, r.controller]), [["Service", "web", svc.metadata!.uid, true]]);
    assert.deepEqual(slice!.ports.map((p) => [p.name, p.port, p.protocol]), [["http", 8080, "TCP"]]);
    for (const e of slice!.endpoints) {
      const pod = (await cluster.client.get(pods, ns, e.targetRef!.name)) as Pod;
      assert.deepEqual(e.addresses, [pod.status!.podIp]);
      assert.equal(e.nodeName, pod.spec!.nodeName);
      assert.equal(e.zone, pod.spec!.nodeName === "node-1" ? "zone-a" : undefined, "zone from the node's label");
      assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
    }

    await setReady("web-b", false);
    const after = await waitForSlices("web", (s) => readyNames(s, false).length === 1, "web-b not ready");
    assert.deepEqual(readyNames(after, false), ["web-b"]);
    assert.deepEqual(endpointsOf(after).find((e) => e.targetRef!.name === "web-b")!.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(after.length, 1);
  });

  it("resolves a named targetPort per pod into one slice per port set", async () => {
    await createService("named", { app: "named" }, "web");
    await createPod("named-a", { app: "named" }, [{ name: "web", containerPort: 8080 }]);
    await createPod("named-b", { app: "named" }, [{ name: "web", containerPort: 9090 }]);
    const slices = await waitForSlices("named", (s) => s.length === 2 && endpointsOf(s).length === 2, "two slices");
    const byPort = slices.map((s) => [s.ports.map((p) => p.port), s.endpoints.map((e) => e.targetRef!.name)]).sort();
    assert.deepEqual(byPort, [[[8080], ["named-a"]], [[9090], ["named-b"]]]);
  });

  it("writes no slice when a reconcile finds nothing changed", async () => {
    await waitForSlices("web", (s) => readyNames(s, false).length === 1, "steady state");
    const before = writes.get("web") ?? 0;
    const reconciled = await reconciles();
    const pod = (await cluster.client.get(pods, ns, "web-a")) as Pod;
    pod.metadata!.labels = { ...pod.metadata!.labels, extra: "yes" };
    await cluster.client.update(pods, pod);
    const svc = (await cluster.client.get(services, ns, "web")) as Service;
    svc.metadata!.annotations = { ...svc.metadata!.annotations, note: "no endpoint change" };
    await cluster.client.update(services, svc);
    await waitFor(async () => (await reconciles()) >= reconciled + 2, { message: "the no-op reconciles" });
    // A real change after them: watch events come in revision order, so any write of theirs shows first.
    await setReady("web-b", true);
    await waitForSlices("web", (s) => readyNames(s, true).length === 3, "web-b ready again");
    await waitFor(() => writes.get("web") === before + 1 || undefined, { message: "the recorder to see the write" });
    assert.equal(writes.get("web"), before + 1, "only the readiness change was written");
  });

  it("puts back a slice someone deletes", async () => {
    const [slice] = await slicesOf("web");
    await cluster.client.delete(slicesKind, ns, slice!.metadata!.name);
    const back = await waitForSlices("web", (s) => s.length === 1 && s[0]!.metadata!.name !== slice!.metadata!.name && s[0]!.endpoints.length === 3, "a new slice");
    assert.equal(back.length, 1);
  });

  it("keeps one empty slice when the pods go, and removes the slices with the Service", async () => {
    await Promise.all(["web-a", "web-b", "web-c"].map((n) => cluster.client.delete(pods, ns, n)));
    const empty = await waitForSlices("web", (s) => s.length === 1 && s[0]!.endpoints.length === 0, "one slice without endpoints");
    assert.deepEqual(empty[0]!.ports, []);
    await cluster.client.delete(services, ns, "web");
    await waitForSlices("web", (s) => s.length === 0, "the slices to be deleted");
  });
});
