// Service networking end to end, inside a network namespace of the test's own: a real kubelet on
// containerd+runc+CNI, the scheduler, the controller-manager (Deployment, ReplicaSet, EndpointSlice),
// kube-proxy on nftables and the cluster DNS — a Deployment behind a ClusterIP/NodePort Service
// answers from the node and from another pod, by IP and by name, rejects with no endpoints, and its
// rules go with it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { discoveryV1} from "@kubeplane/api";
import { appsV1Deployment, coreV1Pod, coreV1Service, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { BUSYBOX_IMAGE, clientTls, enterTestNetns, httpGet, runKpctl, serviceEntry, startControlPlane, startNodeStack, startServiceProcess, waitFor, type ControlPlane, type NodeStack, type ServiceProcess } from "@kubeplane/testing";
import { publishNodeDns } from "./cluster-dns.js";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const services = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
const deployments = kindFor("apps/v1", "Deployment") as KindInfo<appsV1Deployment.Deployment>;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;
const POD_CIDR = "10.88.10.0/24";
const GATEWAY = "10.88.10.1";
const DNS_IP = "10.96.0.10";
const IMAGE = BUSYBOX_IMAGE;

describe("service networking: kubelet, kube-proxy, dns, endpoints on one node", () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  const processes: ServiceProcess[] = [];
  let client: ApiClient;
  let clusterIp = "";
  let nodePort = 0;

  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args);
  const start = async (name: string, flags: Record<string, string>): Promise<ServiceProcess> => {
    const p = await startServiceProcess({ entry: serviceEntry(name), flags: { apiserver: cp!.apiserver.grpcAddress, "nats-url": cp!.nats.url, ...flags }, readyTimeoutMs: 60_000 });
    processes.push(p);
    return p;
  };
  const readyEndpoints = async (service: string): Promise<string[]> => {
    const list = await client.list(slices, { namespace: "default", labelSelector: `kubernetes.io/service-name=${service}` });
    return (list.items as discoveryV1.EndpointSlice[]).flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
  };

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await startNodeStack(cp, { nodeName: "node-a", podCidr: POD_CIDR, kubeletFlags: { "cluster-dns": DNS_IP, "sync-frequency": "2s" } });
    await Promise.all([
      start("scheduler", { "leader-elect": "false" }),
      start("controller-manager", { "leader-elect": "false", controllers: "deployment,replicaset,endpointslice,endpoints" }),
      start("kube-proxy", { "cluster-cidr": "10.88.0.0/16", "min-sync-period": "200ms" }),
      start("dns", { "dns-listen": "0.0.0.0:53" }),
    ]);
    await publishNodeDns(client, DNS_IP, GATEWAY);
  });

  after(async () => {
    client?.close();
    await Promise.allSettled(processes.map((p) => p.kill()));
    await execFileAsync("nft", ["delete", "table", "ip", "kube-proxy"]).catch(() => undefined);
    await node?.stop();
    await cp?.stop();
  });

  it("a Deployment of 3 httpd pods behind a NodePort Service answers on its ClusterIP from the node, spreading over all 3", async () => {
    await client.create(deployments, appsV1Deployment.Deployment.fromPartial({
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "httpd", image: IMAGE, command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"], ports: [{ name: "http", containerPort: 8080 }] }],
          },
        },
      },
    }));
    const svc = (await client.create(services, coreV1Service.Service.fromPartial({
      metadata: { name: "web", namespace: "default" },
      spec: { type: "NodePort", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    }))) as coreV1Service.Service;
    clusterIp = svc.spec!.clusterIp;
    nodePort = svc.spec!.ports[0]!.nodePort;
    const endpoints = await waitFor(async () => {
      const ips = await readyEndpoints("web");
      return ips.length === 3 ? ips : undefined;
    }, { timeoutMs: 60_000, message: "3 ready endpoints for web" });
    // kube-proxy has programmed all three (its sync follows the slice by up to min-sync-period).
    await waitFor(async () => {
      const { stdout } = await execFileAsync("nft", ["list", "table", "ip", "kube-proxy"]);
      return endpoints.every((ip) => stdout.includes(`dnat to ${ip}:`));
    }, { timeoutMs: 20_000, message: "kube-proxy's rules for the 3 endpoints" });
    // Traffic from the node itself to a ClusterIP needs a route for the service range (MACHINE-NOTES).
    await execFileAsync("ip", ["route", "replace", "10.96.0.0/12", "dev", "kp0"]);
    const seen = new Set<string>();
    await waitFor(() => httpGet(`http://${clusterIp}/`).catch(() => undefined), { timeoutMs: 20_000, message: "the ClusterIP answers" });
    for (let i = 0; i < 60; i++) seen.add((await httpGet(`http://${clusterIp}/`)).trim());
    assert.equal(seen.size, 3, `all 3 endpoints answered: ${[...seen].join(", ")}`);
  });

  it("from another pod: the ClusterIP, the Service's short name through resolv.conf, DNS at the cluster DNS address, and the NodePort on the node's address", async () => {
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "client", namespace: "default" },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "sh", image: IMAGE, command: ["sleep", "3600"] }] },
    }));
    await waitFor(async () => ((await client.get(pods, "default", "client")) as coreV1Pod.Pod).status?.phase === "Running", { timeoutMs: 60_000, message: "client Running" });
    const byIp = await kpctl("exec", "client", "--", "wget", "-qO-", `http://${clusterIp}/`);
    assert.equal(byIp.code, 0, byIp.stderr);
    assert.match(byIp.stdout, /^web-/);
    const byName = await waitFor(async () => {
      const out = await kpctl("exec", "client", "--", "wget", "-qO-", "http://web/");
      return out.code === 0 ? out : undefined;
    }, { timeoutMs: 20_000, message: "wget http://web/ from the pod (search path + cluster DNS)" });
    assert.match(byName.stdout, /^web-/);
    const resolv = await kpctl("exec", "client", "--", "cat", "/etc/resolv.conf");
    assert.match(resolv.stdout, new RegExp(`nameserver ${DNS_IP.replace(/\./g, "\\.")}`));
    assert.match(resolv.stdout, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    const lookup = await kpctl("exec", "client", "--", "nslookup", "web.default.svc.cluster.local", DNS_IP);
    assert.ok(lookup.stdout.includes(clusterIp), `nslookup from the pod returns the ClusterIP:\n${lookup.stdout}`);
    const { stdout: dig } = await execFileAsync("dig", ["+short", `@${DNS_IP}`, "web.default.svc.cluster.local"]);
    assert.equal(dig.trim(), clusterIp);
    const viaNodePort = await kpctl("exec", "client", "--", "wget", "-qO-", `http://${GATEWAY}:${nodePort}/`);
    assert.equal(viaNodePort.code, 0, viaNodePort.stderr);
    assert.match(viaNodePort.stdout, /^web-/);
  });

  it("scaled to 0 the ClusterIP rejects at once instead of hanging; deleting the Service removes its rules", async () => {
    await client.updateScale(deployments, "default", "web", 0);
    await waitFor(async () => (await readyEndpoints("web")).length === 0, { timeoutMs: 60_000, message: "no endpoints" });
    const err = await waitFor(async () => {
      const outcome = await httpGet(`http://${clusterIp}/`, 3_000).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      return outcome?.code === "ECONNREFUSED" ? outcome : undefined;
    }, { timeoutMs: 20_000, message: "ECONNREFUSED from the ClusterIP" });
    assert.equal(err.code, "ECONNREFUSED");
    const rules = async (): Promise<string> => (await execFileAsync("nft", ["list", "table", "ip", "kube-proxy"])).stdout;
    assert.ok((await rules()).includes(clusterIp));
    await client.delete(services, "default", "web");
    await waitFor(async () => !(await rules()).includes(clusterIp), { timeoutMs: 20_000, message: "the Service's rules gone" });
  });
});
