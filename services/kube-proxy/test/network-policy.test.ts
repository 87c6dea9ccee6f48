// NetworkPolicy end to end: a simulated node (network namespace, bridge, four pods serving HTTP) with
// a real apiserver and kube-proxy, plus a client namespace routed through the node (an address off
// the pod network). Default deny blocks pod-to-pod traffic on the bridge; allow rules by pod label,
// namespace label and ipBlock reopen exactly their paths; egress is isolated too; replies pass;
// the node still reaches its pods; deleting the policies restores traffic; the table outlives a stop and
// goes with --network-policy=false.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { coreV1Config, coreV1Pod, kindFor, networkingV1NetworkPolicy, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { createNetns, deleteNetns, nsExec, nsRun } from "./netns.js";
import { createTestNode, podPort, type TestNode } from "./topology.js";

type NetworkPolicy = networkingV1NetworkPolicy.NetworkPolicy;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const policies = kindFor("networking.k8s.io/v1", "NetworkPolicy") as KindInfo<NetworkPolicy>;

/** True when one GET from `netns` to `ip`:8080 answers within 1 s (a dropped SYN hangs; nsRun kills it). */
async function reaches(netns: string, ip: string): Promise<boolean> {
  const host = ip.includes(":") ? `[${ip}]` : ip;
  const res = await nsRun(netns, ["busybox", "wget", "-qO-", `http://${host}:${podPort}/`], { timeoutMs: 1000 });
  return res.code === 0;
}

describe("NetworkPolicy enforcement (kube-proxy, nftables)", () => {
  let cp: ControlPlane;
  let client: ApiClient;
  let node: TestNode;
  let clientNs = "";
  let clientRoot = "";
  let proxy: ServiceProcess | undefined;
  // pod-0 shop/web, pod-1 shop/db, pod-2 shop/cache, pod-3 ops/tool; the client is 10.215.1.2, routed by the node.
  let web: string, db: string, cache: string, tool: string;
  let webNs: string, dbNs: string, cacheNs: string, toolNs: string;
  const clientAddr = "10.215.1.2";
  // Each pod also gets an IPv6 address on the bridge (both in status.podIPs): pod i is fd00:214::<i+2>.
  const v6 = (i: number): string => `fd00:214::${i + 2}`;

  const policy = async (namespace: string, name: string, spec: Record<string, unknown>): Promise<void> => {
    const np = networkingV1NetworkPolicy.NetworkPolicy.fromJSON({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace, name }, spec });
    await client.create(policies, np);
  };
  /** Polls until `from` reaches (or stops reaching) `to`; the enforcer applies changes asynchronously. */
  const expectPath = async (from: string, to: string, open: boolean, what: string): Promise<void> => {
    await waitFor(async () => (await reaches(from, to)) === open, { message: `${what}: ${open ? "open" : "blocked"}`, timeoutMs: 30_000 });
  };
  const table = (): Promise<string> => nsExec(node.netns, ["nft", "list", "table", "inet", "kubeplane-netpol"]);

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await createTestNode(4, "10.96.0.0/12");
    [web, db, cache, tool] = node.pods.map((p) => p.ip) as [string, string, string, string];
    [webNs, dbNs, cacheNs, toolNs] = node.pods.map((p) => p.netns) as [string, string, string, string];
    await nsExec(node.netns, ["ip", "-6", "addr", "add", "fd00:214::1/64", "dev", "kpbr0", "nodad"]);
    for (const [i, p] of node.pods.entries()) await nsExec(p.netns, ["ip", "-6", "addr", "add", `${v6(i)}/64`, "dev", "eth0", "nodad"]);
    clientNs = await createNetns("client");
    await nsExec(node.netns, ["ip", "link", "add", "kpcl0", "type", "veth", "peer", "name", "eth0", "netns", clientNs]);
    await nsExec(node.netns, ["ip", "addr", "add", "10.215.1.1/24", "dev", "kpcl0"]);
    await nsExec(node.netns, ["ip", "link", "set", "kpcl0", "up"]);
    await nsExec(clientNs, ["ip", "addr", "add", `${clientAddr}/24`, "dev", "eth0"]);
    await nsExec(clientNs, ["ip", "link", "set", "eth0", "up"]);
    await nsExec(clientNs, ["ip", "route", "add", "default", "via", "10.215.1.1"]);
    clientRoot = await mkdtemp(join(tmpdir(), "kp-netpol-client-"));
    await writeFile(join(clientRoot, "index.html"), "client\n");
    await nsExec(clientNs, ["busybox", "httpd", "-p", String(podPort), "-h", clientRoot]);
    for (const [name, labels] of [["shop", { tier: "app" }], ["ops", { team: "ops" }]] as const) {
      await client.create(namespaces, coreV1Config.Namespace.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }));
    }
    const members = [
      ["shop", "web", { app: "web" }],
      ["shop", "db", { app: "db" }],
      ["shop", "cache", { app: "cache" }],
      ["ops", "tool", { app: "tool" }],
    ] as const;
    for (const [i, [namespace, name, labels]] of members.entries()) {
      const created = (await client.create(
        pods,
        coreV1Pod.Pod.fromPartial({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { namespace, name, labels },
          spec: { nodeName: "node-a", containers: [{ name: "httpd", image: "busybox", ports: [{ name: "http", containerPort: podPort, protocol: "TCP" }] }] },
        }),
      )) as coreV1Pod.Pod;
      const ip = node.pods[i]!.ip;
      const running: coreV1Pod.Pod = { ...created, status: { ...created.status!, phase: "Running", podIp: ip, podIps: [{ ip }, { ip: v6(i) }] } };
      await client.updateStatus(pods, running);
    }
    proxy = await startServiceProcess({
      entry: serviceEntry("kube-proxy"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, netns: node.netns, "min-sync-period": "20ms", "hostname-override": "node-a" },
    });
  });

  after(async () => {
    await proxy?.kill();
    client?.close();
    if (clientNs) await deleteNetns(clientNs);
    await node?.destroy();
    if (clientRoot) await rm(clientRoot, { recursive: true, force: true });
    await cp?.stop();
  });

  test("without policies pods reach each other across namespaces, and the client reaches them", async () => {
    assert.ok(await reaches(webNs, db), "web → db");
    assert.ok(await reaches(webNs, v6(1)), "web → db over IPv6");
    assert.ok(await reaches(toolNs, db), "ops/tool → db");
    assert.ok(await reaches(clientNs, web), "client → web");
    assert.match(await table(), /map ingress-v4 \{\n\s+type ipv4_addr : verdict\n\s+\}/, "nothing isolated");
  });

  test("a default-deny ingress policy blocks pod-to-pod traffic on the bridge; the node still reaches its pods", async () => {
    await policy("shop", "default-deny", { podSelector: {} });
    await expectPath(webNs, db, false, "web → db");
    assert.equal(await reaches(dbNs, web), false, "db → web");
    assert.equal(await reaches(webNs, v6(1)), false, "web → db over IPv6");
    assert.equal(await reaches(toolNs, cache), false, "ops/tool → cache");
    assert.equal(await reaches(clientNs, web), false, "client → web");
    assert.ok(await reaches(node.netns, db), "node → db (kubelet probes)");
    assert.ok(await reaches(dbNs, tool), "ops is not isolated: db → ops/tool");
  });

  test("an allow rule by pod label reopens exactly that path", async () => {
    await policy("shop", "web-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "http" }] }] });
    await expectPath(webNs, db, true, "web → db");
    assert.equal(await reaches(cacheNs, db), false, "cache → db");
    assert.ok(await reaches(webNs, v6(1)), "web → db over IPv6 (the pod's second address)");
    assert.equal(await reaches(cacheNs, v6(1)), false, "cache → db over IPv6");
    assert.equal(await reaches(dbNs, web), false, "db → web (the reverse path)");
    assert.equal(await reaches(toolNs, db), false, "a pod labelled web elsewhere would match; ops/tool does not");
  });

  test("a namespaceSelector peer admits the pods of the matching namespaces only", async () => {
    await policy("shop", "ops-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }] }] });
    await expectPath(toolNs, db, true, "ops/tool → db");
    assert.equal(await reaches(cacheNs, db), false, "cache → db");
  });

  test("an ipBlock admits its addresses but not those of its except", async () => {
    await policy("shop", "client-to-web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ ipBlock: { cidr: "10.215.0.0/16", except: ["10.215.1.0/24"] } }] }] });
    await waitFor(async () => /ingress-\w+-0-v4/.test(await table()), { message: "ipBlock set programmed" });
    assert.equal(await reaches(clientNs, web), false, "client inside except");
    const np = (await client.get(policies, "shop", "client-to-web")) as NetworkPolicy;
    np.spec!.ingress[0]!.from[0]!.ipBlock!.except = ["10.215.9.0/24"];
    await client.update(policies, np);
    await expectPath(clientNs, web, true, "client → web");
    assert.equal(await reaches(clientNs, db), false, "client → db");
  });

  test("egress: a default deny in ops stops new connections out of its pods; replies to allowed ingress still pass; a port rule reopens", async () => {
    assert.ok(await reaches(toolNs, clientAddr), "ops/tool → client before");
    await policy("ops", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
    await expectPath(toolNs, clientAddr, false, "ops/tool → client");
    assert.ok(await reaches(clientNs, tool), "client → ops/tool: the reply leaves an egress-isolated pod");
    await policy("ops", "http-out", { podSelector: { matchLabels: { app: "tool" } }, egress: [{ to: [{ ipBlock: { cidr: `${clientAddr}/32` } }], ports: [{ protocol: "TCP", port: podPort }] }] });
    await expectPath(toolNs, clientAddr, true, "ops/tool → client");
    assert.equal(await reaches(toolNs, web), false, "ops/tool → web: outside its egress rules");
  });

  test("deleting the policies restores traffic and empties the maps", async () => {
    for (const [namespace, name] of [["shop", "default-deny"], ["shop", "web-to-db"], ["shop", "ops-to-db"], ["shop", "client-to-web"], ["ops", "deny-egress"], ["ops", "http-out"]] as const) {
      await client.delete(policies, namespace, name);
    }
    // The six deletes reach kube-proxy over several syncs: wait for the one that saw the last of them.
    await waitFor(async () => !/jump/.test(await table()), { message: "no pod's traffic jumps to a policy chain" });
    assert.ok(await reaches(cacheNs, db), "cache → db");
    assert.ok(await reaches(dbNs, web), "db → web");
    assert.ok(await reaches(toolNs, web), "ops/tool → web");
  });

  test("SIGTERM leaves the table (pods stay isolated while kube-proxy is down); --network-policy=false removes it", async () => {
    await policy("shop", "deny-again", { podSelector: {} });
    await expectPath(cacheNs, db, false, "cache → db");
    await proxy!.kill("SIGTERM");
    proxy = undefined;
    assert.match(await table(), /jump ingress-/);
    assert.equal(await reaches(cacheNs, db), false, "cache → db with kube-proxy stopped");
    proxy = await startServiceProcess({
      entry: serviceEntry("kube-proxy"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, netns: node.netns, "hostname-override": "node-a", "network-policy": "false" },
    });
    const listed = await nsRun(node.netns, ["nft", "list", "table", "inet", "kubeplane-netpol"]);
    assert.notEqual(listed.code, 0, "the table is gone once the proxy is ready");
    assert.ok(await reaches(cacheNs, db), "cache → db without enforcement");
  });
});
