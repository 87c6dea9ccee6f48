// The generic API on real etcd and NATS: CRUD for every kind, optimistic concurrency, selectors,
// paging, finalizers, namespaces, services' addresses and the subresources.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  ApiError} from "@kubeplane/api";
import {
  coreV1Pod,
  type coreV1Service,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  kindFor,
  kindsList,
  type ApiObject,
  type KindInfo,
} from "@kubeplane/api";
import { startTestCluster, type TestCluster } from "./harness.js";
import { minimalObject } from "./fixtures.js";

/** A typed object of `info` from a partial literal. */
const obj = (info: KindInfo, partial: unknown): ApiObject => info.codec.fromPartial(partial);

let cluster: TestCluster;
before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster?.stop();
});

const pods = kindFor("v1", "Pod")!;
const deployments = kindFor("apps/v1", "Deployment")!;
const services = kindFor("v1", "Service")!;
const namespaces = kindFor("v1", "Namespace")!;
const configMaps = kindFor("v1", "ConfigMap")!;

async function rejects(p: Promise<unknown>, check: (err: unknown) => boolean, what: string): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(check(err), `${what}: got ${(err as Error).message}`);
    return err as ApiError;
  }
  assert.fail(`${what}: the call succeeded`);
}

/** Create-only kinds answered by the authorize step and never stored (authorization.test.ts covers them). */
const reviews = new Set(["SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectReview"]);

describe("every kind", () => {
  for (const info of kindsList.filter((k) => !reviews.has(k.kind))) {
    test(`${info.kind} round-trips create, get, list, update and delete`, async () => {
      const { client } = cluster;
      const obj = minimalObject(info, `rt-${info.resource}`);
      const created = await client.create(info, obj);
      assert.ok(created.metadata?.uid, "uid set");
      assert.ok(Number(created.metadata?.resourceVersion) > 0, "resourceVersion set");
      assert.match(created.metadata!.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const ns = created.metadata!.namespace;
      const got = await client.get(info, ns, created.metadata!.name);
      assert.deepEqual(info.codec.toJSON(got), info.codec.toJSON(created));
      const listed = await client.list(info, { namespace: ns, fieldSelector: `metadata.name=${created.metadata!.name}` });
      assert.equal(listed.items.length, 1);
      got.metadata!.labels = { ...got.metadata!.labels, touched: "yes" };
      const updated = await client.update(info, got);
      assert.equal(updated.metadata?.labels.touched, "yes");
      assert.ok(Number(updated.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion));
      const del = await client.delete(info, ns, created.metadata!.name, { gracePeriodSeconds: 0 });
      if (info.resource === "namespaces") {
        assert.equal(del.deleted, false, "a namespace is only marked Terminating");
      } else {
        assert.equal(del.deleted, true);
        await rejects(client.get(info, ns, created.metadata!.name), isNotFound, "get after delete");
      }
    });
  }
});

describe("optimistic concurrency", () => {
  test("an update with a stale resourceVersion is a Conflict and changes nothing", async () => {
    const { client } = cluster;
    const cm = await client.create(configMaps, minimalObject(configMaps, "occ"));
    const fresh = configMaps.codec.fromPartial(cm) as ApiObject & { data: Record<string, string> };
    fresh.data = { v: "1" };
    const saved = await client.update(configMaps, fresh);
    const stale = configMaps.codec.fromPartial(cm) as ApiObject & { data: Record<string, string> };
    stale.data = { v: "stale" };
    const err = await rejects(client.update(configMaps, stale), isConflict, "stale update");
    assert.match(err.message, /the object has been modified/);
    const now = (await client.get(configMaps, "default", "occ")) as ApiObject & { data: Record<string, string> };
    assert.deepEqual(now.data, { v: "1" });
    assert.equal(now.metadata!.resourceVersion, saved.metadata!.resourceVersion);
  });

  test("50 concurrent updaters of one object: the counter equals the successful updates", async () => {
    const { client } = cluster;
    await client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "counter"), data: { n: "0" } }));
    let successes = 0;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const cur = (await client.get(configMaps, "default", "counter")) as ApiObject & { data: Record<string, string> };
        cur.data = { n: String(Number(cur.data.n) + 1) };
        try {
          await client.update(configMaps, cur);
          successes++;
        } catch (err) {
          if (!isConflict(err)) throw err;
          conflicts++;
        }
      }),
    );
    const final = (await client.get(configMaps, "default", "counter")) as ApiObject & { data: Record<string, string> };
    assert.equal(successes + conflicts, 50);
    assert.ok(successes >= 1);
    assert.equal(Number(final.data.n), successes);
  });

  test("no-op updates keep the resourceVersion; generation moves only on spec changes", async () => {
    const { client } = cluster;
    const d = await client.create(deployments, minimalObject(deployments, "gen"));
    assert.equal(d.metadata!.generation, 1);
    const same = await client.update(deployments, d);
    assert.equal(same.metadata!.resourceVersion, d.metadata!.resourceVersion);
    same.metadata!.labels = { a: "b" };
    const relabelled = await client.update(deployments, same);
    assert.equal(relabelled.metadata!.generation, 1, "a label change is not a spec change");
    (relabelled as unknown as { spec: { replicas: number } }).spec.replicas = 3;
    const scaled = await client.update(deployments, relabelled);
    assert.equal(scaled.metadata!.generation, 2);
  });
});

describe("kind rules", () => {
  test("a Job without manualSelector gets a selector on its uid and matching template labels", async () => {
    const { client } = cluster;
    const jobs = kindFor("batch/v1", "Job")!;
    const job = (await client.create(jobs, minimalObject(jobs, "selector-job"))) as unknown as {
      metadata: { uid: string };
      spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    };
    assert.deepEqual(job.spec.selector.matchLabels, { "batch.kubernetes.io/controller-uid": job.metadata.uid });
    assert.equal(job.spec.template.metadata.labels["batch.kubernetes.io/controller-uid"], job.metadata.uid);
    assert.equal(job.spec.template.metadata.labels["job-name"], "selector-job");
  });

  test("a Secret's stringData is merged into data and not stored", async () => {
    const { client } = cluster;
    const secrets = kindFor("v1", "Secret")!;
    const created = (await client.json.create(secrets, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "string-data", namespace: "default" },
      data: { a: Buffer.from("old").toString("base64"), b: Buffer.from("kept").toString("base64") },
      stringData: { a: "new" },
    })) as { data: Record<string, string>; stringData?: unknown };
    assert.deepEqual(created.data, { a: Buffer.from("new").toString("base64"), b: Buffer.from("kept").toString("base64") });
    assert.equal(created.stringData, undefined);
  });

  test("a new pod starts Pending with its QoS class; a new Deployment's status is cleared", async () => {
    const { client } = cluster;
    const pod = (await client.create(pods, minimalObject(pods, "qos"))) as coreV1Pod.Pod;
    assert.equal(pod.status?.phase, "Pending");
    assert.equal(pod.status?.qosClass, "BestEffort");
    const withStatus = obj(deployments, { ...minimalObject(deployments, "no-status"), status: { replicas: 9 } });
    const d = (await client.create(deployments, withStatus)) as unknown as { status?: { replicas?: number } };
    assert.equal(d.status?.replicas ?? 0, 0);
  });
});

describe("validation and decoding", () => {
  test("a manifest with bad names, missing fields and wrong types is refused with every field path and stores nothing", async () => {
    const { client } = cluster;
    const bad = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "Bad_Name" },
      spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "y" } }, spec: { containers: [{ name: "c" }] } } },
    };
    const err = await rejects(client.json.create(deployments, bad), isInvalid, "invalid deployment");
    const fields = err.causes.map((c) => c.field);
    assert.ok(fields.includes("metadata.name"), fields.join());
    assert.ok(fields.includes("spec.template.spec.containers[0].image"), fields.join());
    assert.ok(fields.includes("spec.template.metadata.labels"), fields.join());
    const typed = { apiVersion: "v1", kind: "Pod", metadata: { name: "typed" }, spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: "eighty" }] }], bogus: 1 } };
    const decodeErr = await rejects(client.json.create(pods, typed), isBadRequest, "wrong types");
    const decodeFields = decodeErr.causes.map((c) => c.field);
    assert.ok(decodeFields.includes("spec.containers[0].ports[0].containerPort"), decodeFields.join());
    assert.ok(decodeFields.includes("spec.bogus"), decodeFields.join());
    const listed = await client.list(deployments, { namespace: "default", fieldSelector: "metadata.name=Bad_Name" });
    assert.equal(listed.items.length, 0);
  });

  test("an object over 1.5 MiB is Invalid and never reaches etcd", async () => {
    const { client } = cluster;
    const big = obj(configMaps, { ...minimalObject(configMaps, "big"), data: { blob: "x".repeat(1_600_000) } });
    await rejects(client.create(configMaps, big), isInvalid, "oversized");
    await rejects(client.get(configMaps, "default", "big"), isNotFound, "not stored");
  });

  test("an unknown resource or version is NotFound", async () => {
    const { client } = cluster;
    const gizmo = { ...configMaps, group: "example.com", resource: "gizmos" } as KindInfo;
    await rejects(client.list(gizmo), isNotFound, "unknown resource");
    await rejects(client.list({ ...deployments, version: "v1beta1" } as KindInfo), isNotFound, "unknown version");
  });

  test("a create of an existing name is AlreadyExists", async () => {
    const { client } = cluster;
    await client.create(configMaps, minimalObject(configMaps, "dup"));
    await rejects(client.create(configMaps, minimalObject(configMaps, "dup")), isAlreadyExists, "duplicate");
  });
});

describe("namespaces", () => {
  test("default, kube-system and kube-public exist and may not be deleted", async () => {
    const { client } = cluster;
    for (const n of ["default", "kube-system", "kube-public"]) await client.get(namespaces, "", n);
    await rejects(client.delete(namespaces, "", "default"), isForbidden, "delete default");
  });

  test("writes into a missing or terminating namespace are refused", async () => {
    const { client } = cluster;
    await rejects(client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "x"), metadata: { name: "x", namespace: "nowhere" } })), isNotFound, "missing ns");
    await client.create(namespaces, minimalObject(namespaces, "doomed"));
    const del = await client.delete(namespaces, "", "doomed");
    assert.equal(del.deleted, false);
    assert.equal((del.object as unknown as { status: { phase: string } }).status.phase, "Terminating");
    await rejects(client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "y"), metadata: { name: "y", namespace: "doomed" } })), isForbidden, "terminating ns");
  });
});

describe("finalizers", () => {
  test("an object with finalizers is only marked on delete and goes when the last finalizer is removed", async () => {
    const { client } = cluster;
    const cm = await client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "fin"), metadata: { name: "fin", namespace: "default", finalizers: ["example.com/a", "example.com/b"] } }));
    const marked = await client.delete(configMaps, "default", "fin");
    assert.equal(marked.deleted, false);
    assert.ok(marked.object.metadata?.deletionTimestamp);
    const one = await client.get(configMaps, "default", "fin");
    one.metadata!.finalizers = ["example.com/b", "example.com/new"];
    await rejects(client.update(configMaps, one), isInvalid, "adding a finalizer while deleting");
    one.metadata!.finalizers = ["example.com/b"];
    await client.update(configMaps, one);
    const last = await client.get(configMaps, "default", "fin");
    last.metadata!.finalizers = [];
    await client.update(configMaps, last);
    await rejects(client.get(configMaps, "default", cm.metadata!.name), isNotFound, "gone after the last finalizer");
  });

  test("a bound pod is deleted gracefully: marked first, removed by a delete with grace 0", async () => {
    const { client } = cluster;
    await client.create(pods, minimalObject(pods, "graceful"));
    await client.bind("default", "graceful", "node-a");
    const marked = await client.delete(pods, "default", "graceful");
    assert.equal(marked.deleted, false);
    assert.equal(marked.object.metadata?.deletionGracePeriodSeconds, 30);
    const gone = await client.delete(pods, "default", "graceful", { gracePeriodSeconds: 0 });
    assert.equal(gone.deleted, true);
  });

  test("delete preconditions on uid and resourceVersion are checked", async () => {
    const { client } = cluster;
    const cm = await client.create(configMaps, minimalObject(configMaps, "pre"));
    await rejects(client.delete(configMaps, "default", "pre", { preconditions: { uid: "other" } }), isConflict, "uid precondition");
    await rejects(client.delete(configMaps, "default", "pre", { preconditions: { resourceVersion: "1" } }), isConflict, "rv precondition");
    const ok = await client.delete(configMaps, "default", "pre", { preconditions: { uid: cm.metadata!.uid } });
    assert.equal(ok.deleted, true);
  });
});

describe("list", () => {
  test("label selectors (=, !=, in, notin, exists) and field selectors filter; limit and continue page at one revision", async () => {
    const { client } = cluster;
    await client.create(namespaces, minimalObject(namespaces, "listing"));
    for (let i = 0; i < 12; i++) {
      const tier = ["web", "db", "cache"][i % 3]!;
      await client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, `item-${String(i).padStart(2, "0")}`), metadata: { name: `item-${String(i).padStart(2, "0")}`, namespace: "listing", labels: { tier, ...(i % 2 ? { odd: "true" } : {}) } } }));
    }
    const count = async (labelSelector: string, fieldSelector = ""): Promise<number> =>
      (await client.list(configMaps, { namespace: "listing", labelSelector, fieldSelector })).items.length;
    assert.equal(await count("tier=web"), 4);
    assert.equal(await count("tier!=web"), 8);
    assert.equal(await count("tier in (web, db)"), 8);
    assert.equal(await count("tier notin (web, db)"), 4);
    assert.equal(await count("odd"), 6);
    assert.equal(await count("!odd"), 6);
    assert.equal(await count("", "metadata.name=item-03"), 1);
    assert.equal(await count("", "metadata.name!=item-03"), 11);
    await rejects(client.list(configMaps, { namespace: "listing", fieldSelector: "spec.nope=1" }), isBadRequest, "unknown field selector");

    const page1 = await client.list(configMaps, { namespace: "listing", limit: 5 });
    assert.equal(page1.items.length, 5);
    assert.ok(page1.continueToken);
    await client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "item-99"), metadata: { name: "item-99", namespace: "listing" } }));
    const page2 = await client.list(configMaps, { namespace: "listing", limit: 5, continueToken: page1.continueToken });
    const page3 = await client.list(configMaps, { namespace: "listing", limit: 5, continueToken: page2.continueToken });
    const names = [...page1.items, ...page2.items, ...page3.items].map((o) => o.metadata!.name);
    assert.equal(names.length, 12, "pages read at the first page's revision do not see later writes");
    assert.equal(new Set(names).size, 12);
    assert.equal(page3.continueToken, undefined);
  });

  test("pods can be selected by spec.nodeName and status.phase", async () => {
    const { client } = cluster;
    await client.create(pods, minimalObject(pods, "on-node"));
    await client.create(pods, minimalObject(pods, "off-node"));
    await client.bind("default", "on-node", "node-b");
    const onB = await client.list(pods, { namespace: "default", fieldSelector: "spec.nodeName=node-b" });
    assert.deepEqual(onB.items.map((p) => p.metadata!.name), ["on-node"]);
    const pending = await client.list(pods, { namespace: "default", fieldSelector: "status.phase=Pending,spec.nodeName=" });
    assert.ok(pending.items.some((p) => p.metadata!.name === "off-node"));
    assert.ok(!pending.items.some((p) => p.metadata!.name === "on-node"));
  });
});

describe("subresources", () => {
  test("binding assigns a node once and sets PodScheduled; a second binding is a Conflict", async () => {
    const { client } = cluster;
    await client.create(pods, minimalObject(pods, "bind-me"));
    await client.bind("default", "bind-me", "node-1");
    const pod = (await client.get(pods, "default", "bind-me")) as coreV1Pod.Pod;
    assert.equal(pod.spec?.nodeName, "node-1");
    assert.equal(pod.status?.conditions.find((c) => c.type === "PodScheduled")?.status, "True");
    await rejects(client.bind("default", "bind-me", "node-2"), isConflict, "second binding");
  });

  test("status writes leave spec alone and spec writes leave status alone", async () => {
    const { client } = cluster;
    const pod = (await client.create(pods, minimalObject(pods, "status-split"))) as coreV1Pod.Pod;
    const withStatus = coreV1Pod.Pod.fromPartial(pod);
    withStatus.status!.phase = "Running";
    withStatus.spec!.containers[0]!.image = "changed:1";
    const afterStatus = (await client.updateStatus(pods, withStatus)) as coreV1Pod.Pod;
    assert.equal(afterStatus.status?.phase, "Running");
    assert.equal(afterStatus.spec?.containers[0]?.image, pod.spec?.containers[0]?.image);
    const specWrite = coreV1Pod.Pod.fromPartial(afterStatus);
    specWrite.status!.phase = "Failed";
    specWrite.spec!.containers[0]!.image = "changed:2";
    const afterSpec = (await client.update(pods, specWrite)) as coreV1Pod.Pod;
    assert.equal(afterSpec.status?.phase, "Running");
    assert.equal(afterSpec.spec?.containers[0]?.image, "changed:2");
  });

  test("scale reads and writes spec.replicas of a Deployment", async () => {
    const { client } = cluster;
    await client.create(deployments, minimalObject(deployments, "scaled"));
    const scale = await client.getScale(deployments, "default", "scaled");
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.selector, "app=scaled");
    const updated = await client.updateScale(deployments, "default", "scaled", 5);
    assert.equal(updated.spec?.replicas, 5);
    const d = (await client.get(deployments, "default", "scaled")) as unknown as { spec: { replicas: number }; metadata: { generation: number } };
    assert.equal(d.spec.replicas, 5);
    assert.equal(d.metadata.generation, 2);
  });

  test("JSON merge patch changes only the named fields", async () => {
    const { client } = cluster;
    await client.create(configMaps, obj(configMaps, { ...minimalObject(configMaps, "patched"), data: { a: "1", b: "2" } }));
    const patched = (await client.patch(configMaps, "default", "patched", { data: { a: null, c: "3" } })) as ApiObject & { data: Record<string, string> };
    assert.deepEqual(patched.data, { b: "2", c: "3" });
  });
});

describe("services", () => {
  test("ClusterIPs and NodePorts are allocated from their ranges, never twice, and released on delete", async () => {
    const { client } = cluster;
    const svc = (name: string, type: string, nodePort?: number): ApiObject =>
      (obj(services, { ...minimalObject(services, name), spec: { type, selector: { app: name }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] } })) as ApiObject;
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => client.create(services, svc(`svc-${i}`, "NodePort"))));
    const ips = created.map((s) => (s as unknown as { spec: { clusterIp: string } }).spec.clusterIp);
    const ports = created.map((s) => (s as unknown as { spec: { ports: { nodePort: number }[] } }).spec.ports[0]!.nodePort);
    assert.equal(new Set(ips).size, 10);
    assert.equal(new Set(ports).size, 10);
    for (const ip of ips) assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\./);
    for (const p of ports) assert.ok(p >= 30000 && p <= 32767);
    const taken = ports[0]!;
    await rejects(client.create(services, svc("svc-clash", "NodePort", taken)), isInvalid, "a taken nodePort");
    await client.delete(services, "default", "svc-0");
    const reuse = await client.create(services, svc("svc-reuse", "NodePort", taken));
    assert.equal((reuse as unknown as { spec: { ports: { nodePort: number }[] } }).spec.ports[0]!.nodePort, taken);
  });
});


describe("service type changes", () => {
  type Svc = coreV1Service.Service;
  const svc = (name: string, spec: Partial<coreV1Service.ServiceSpec>): ApiObject =>
    obj(services, { ...minimalObject(services, name), spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
  const get = async (name: string): Promise<Svc> => (await cluster.client.get(services, "default", name)) as unknown as Svc;

  test("LoadBalancer to ClusterIP with only the type changed drops and releases the nodePort and clears the LoadBalancer fields", async () => {
    const { client } = cluster;
    const created = (await client.create(services, svc("lb-to-cip", { type: "LoadBalancer" }))) as unknown as Svc;
    const nodePort = created.spec!.ports[0]!.nodePort;
    const clusterIp = created.spec!.clusterIp;
    assert.ok(nodePort > 0 && clusterIp);
    const withStatus = { ...created, status: { conditions: [], loadBalancer: { ingress: [{ ip: "192.0.2.10", hostname: "", ports: [] }] } } };
    await client.updateStatus(services, withStatus as unknown as ApiObject);
    await rejects(client.create(services, svc("np-taker", { type: "NodePort", ports: [{ port: 80, nodePort } as coreV1Service.ServicePort] })), isInvalid, "the held nodePort");

    const stored = await get("lb-to-cip");
    assert.equal(stored.spec!.externalTrafficPolicy, "Cluster");
    assert.equal(stored.status?.loadBalancer?.ingress[0]?.ip, "192.0.2.10");
    stored.spec!.type = "ClusterIP";
    const updated = (await client.update(services, stored as unknown as ApiObject)) as unknown as Svc;
    assert.equal(updated.spec!.ports[0]!.nodePort, 0);
    assert.equal(updated.spec!.externalTrafficPolicy, "");
    assert.equal(updated.spec!.allocateLoadBalancerNodePorts, undefined);
    assert.equal(updated.spec!.clusterIp, clusterIp, "the ClusterIP stays");
    assert.deepEqual(updated.status?.loadBalancer?.ingress ?? [], []);
    assert.deepEqual((await get("lb-to-cip")).status?.loadBalancer?.ingress ?? [], [], "the stored status too");

    const taker = (await client.create(services, svc("np-taker", { type: "NodePort", ports: [{ port: 80, nodePort } as coreV1Service.ServicePort] }))) as unknown as Svc;
    assert.equal(taker.spec!.ports[0]!.nodePort, nodePort, "the released nodePort is free again");
    await rejects(client.create(services, svc("cip-taker", { clusterIp })), isInvalid, "the ClusterIP is still held");
  });

  test("LoadBalancer with externalTrafficPolicy Local holds a healthCheckNodePort, kept on update and released with the policy", async () => {
    const { client } = cluster;
    const created = (await client.create(services, svc("lb-local", { type: "LoadBalancer", externalTrafficPolicy: "Local" }))) as unknown as Svc;
    const hc = created.spec!.healthCheckNodePort;
    assert.ok(hc >= 30000 && hc <= 32767 && hc !== created.spec!.ports[0]!.nodePort, String(hc));
    await rejects(client.create(services, svc("hc-taker", { type: "NodePort", ports: [{ port: 80, nodePort: hc } as coreV1Service.ServicePort] })), isInvalid, "the held healthCheckNodePort");
    const stored = await get("lb-local");
    stored.spec!.healthCheckNodePort = 0;
    stored.metadata!.labels = { touched: "yes" };
    assert.equal(((await client.update(services, stored as unknown as ApiObject)) as unknown as Svc).spec!.healthCheckNodePort, hc, "kept when the update leaves it unset");
    const again = await get("lb-local");
    again.spec!.externalTrafficPolicy = "Cluster";
    assert.equal(((await client.update(services, again as unknown as ApiObject)) as unknown as Svc).spec!.healthCheckNodePort, 0);
    const taker = (await client.create(services, svc("hc-taker", { type: "NodePort", ports: [{ port: 80, nodePort: hc } as coreV1Service.ServicePort] }))) as unknown as Svc;
    assert.equal(taker.spec!.ports[0]!.nodePort, hc, "the released port is free again");
  });

  test("a type change that also sets a new nodePort is still refused, not silently cleared", async () => {
    const { client } = cluster;
    const created = (await client.create(services, svc("np-changed", { type: "NodePort" }))) as unknown as Svc;
    const nodePort = created.spec!.ports[0]!.nodePort;
    created.spec!.type = "ClusterIP";
    created.spec!.ports[0]!.nodePort = nodePort === 30000 ? 30001 : nodePort - 1;
    await rejects(client.update(services, created as unknown as ApiObject), isInvalid, "a nodePort on a ClusterIP Service");
    assert.equal((await get("np-changed")).spec!.ports[0]!.nodePort, nodePort);
  });

  test("ClusterIP to ExternalName clears and releases the ClusterIP", async () => {
    const { client } = cluster;
    const created = (await client.create(services, svc("cip-to-ext", {}))) as unknown as Svc;
    const clusterIp = created.spec!.clusterIp;
    assert.ok(clusterIp);
    await rejects(client.create(services, svc("ip-taker", { clusterIp })), isInvalid, "the held ClusterIP");

    created.spec!.type = "ExternalName";
    created.spec!.externalName = "db.example.com";
    const updated = (await client.update(services, created as unknown as ApiObject)) as unknown as Svc;
    assert.equal(updated.spec!.clusterIp, "");
    assert.deepEqual(updated.spec!.clusterIps, []);
    assert.deepEqual(updated.spec!.ipFamilies, []);

    const taker = (await client.create(services, svc("ip-taker", { clusterIp }))) as unknown as Svc;
    assert.equal(taker.spec!.clusterIp, clusterIp, "the released ClusterIP is free again");
  });
});
