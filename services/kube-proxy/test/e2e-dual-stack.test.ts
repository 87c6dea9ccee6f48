// IPv4/IPv6 dual stack end to end, inside a network namespace of the test's own: a dual-stack apiserver
// (two service CIDRs), a real kubelet on containerd+runc+CNI with an IPv4 and an IPv6 podCIDR (pods are
// bound to it by name: no scheduler), the
// EndpointSlice controller, kube-proxy programming `ip` and `ip6` tables, and the cluster DNS. A pod
// gets two addresses and reaches a PreferDualStack Service over IPv6 by its DNS name.
import { execFile } from "node:child_process";
import { isIPv4, isIPv6 } from "node:net";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { discoveryV1} from "@kubeplane/api";
import { coreV1Pod, coreV1Service, isInvalid, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { BUSYBOX_IMAGE, clientTls, enterTestNetns, runKpctl, serviceEntry, startControlPlane, startNodeStack, startServiceProcess, waitFor, type ControlPlane, type NodeStack, type ServiceProcess } from "@kubeplane/testing";
import { publishNodeDns } from "./cluster-dns.js";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const services = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;
const SERVICE_CIDRS = "10.96.0.0/12,fd00:10:96::/112";
const POD_CIDRS = "10.88.30.0/24,fd00:10:88:30::/64";
const GATEWAY = "10.88.30.1";
const DNS_IP = "10.96.0.10";
// The backend answers its client's address: an IPv6 one proves the connection went over IPv6, unmasqueraded.
const SERVER = [
  "mkdir -p /www/cgi-bin",
  `printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n%%s\\\\n" "$REMOTE_ADDR"\\n' > /www/cgi-bin/ip`,
  "chmod +x /www/cgi-bin/ip",
  "exec httpd -f -p 8080 -h /www",
].join(" && ");

describe("dual stack: a pod with an IPv4 and an IPv6 address reaches a PreferDualStack Service over IPv6 by name", () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  const processes: ServiceProcess[] = [];
  let client: ApiClient;

  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args);
  const start = async (name: string, flags: Record<string, string>): Promise<void> => {
    processes.push(await startServiceProcess({ entry: serviceEntry(name), flags: { apiserver: cp!.apiserver.grpcAddress, "nats-url": cp!.nats.url, ...flags }, readyTimeoutMs: 60_000 }));
  };
  const runningPod = (name: string): Promise<coreV1Pod.Pod> =>
    waitFor(
      async () => {
        const pod = (await client.get(pods, "default", name)) as coreV1Pod.Pod;
        return pod.status?.phase === "Running" && pod.status.podIps.length === 2 ? pod : undefined;
      },
      { timeoutMs: 180_000, message: `${name} Running with two pod IPs` },
    );

  before(async () => {
    cp = await startControlPlane({ apiserverFlags: { "service-cluster-ip-range": SERVICE_CIDRS } });
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await startNodeStack(cp, { nodeName: "node-ds", podCidr: POD_CIDRS, kubeletFlags: { "cluster-dns": DNS_IP, "sync-frequency": "2s" } });
    await Promise.all([
      start("controller-manager", { "leader-elect": "false", controllers: "endpointslice" }),
      start("kube-proxy", { "cluster-cidr": "10.88.0.0/16,fd00:10:88::/48", "min-sync-period": "200ms" }),
      start("dns", { "dns-listen": "0.0.0.0:53" }),
    ]);
    await publishNodeDns(client, DNS_IP, GATEWAY);
  });

  after(async () => {
    client?.close();
    await Promise.allSettled(processes.map((p) => p.kill()));
    for (const family of ["ip", "ip6"]) await execFileAsync("nft", ["delete", "table", family, "kube-proxy"]).catch(() => undefined);
    await node?.stop();
    await cp?.stop();
  });

  it("RequireDualStack is served on this cluster; SingleStack with two families is Invalid at spec.ipFamilies", async () => {
    const required = (await client.create(services, coreV1Service.Service.fromPartial({
      metadata: { name: "required", namespace: "default" },
      spec: { ipFamilyPolicy: "RequireDualStack", ports: [{ port: 80 }] },
    }))) as coreV1Service.Service;
    assert.deepEqual(required.spec?.ipFamilies, ["IPv4", "IPv6"]);
    assert.ok(isIPv4(required.spec!.clusterIps[0]!) && isIPv6(required.spec!.clusterIps[1]!), required.spec!.clusterIps.join(","));
    const err = await client
      .create(services, coreV1Service.Service.fromPartial({ metadata: { name: "bad", namespace: "default" }, spec: { ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4", "IPv6"], ports: [{ port: 80 }] } }))
      .then(() => undefined, (e: unknown) => e);
    assert.ok(isInvalid(err), String(err));
    assert.match(String((err as Error).message), /spec\.ipFamilies/);
    await client.delete(services, "default", "required");
  });

  it("the pod has an IPv4 and an IPv6 address, reaches the Service's IPv6 ClusterIP through its AAAA record and the backend sees its IPv6 address", async () => {
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "web", namespace: "default", labels: { app: "web" } },
      spec: { nodeName: "node-ds", terminationGracePeriodSeconds: 1, containers: [{ name: "httpd", image: BUSYBOX_IMAGE, command: ["sh", "-c", SERVER], ports: [{ name: "http", containerPort: 8080 }] }] },
    }));
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "client", namespace: "default" },
      spec: {
        nodeName: "node-ds",
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "sh", image: BUSYBOX_IMAGE, command: ["sleep", "3600"], env: [{ name: "POD_IPS", valueFrom: { fieldRef: { fieldPath: "status.podIPs" } } }] }],
      },
    }));
    const svc = (await client.create(services, coreV1Service.Service.fromPartial({
      metadata: { name: "web", namespace: "default" },
      spec: { ipFamilyPolicy: "PreferDualStack", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    }))) as coreV1Service.Service;
    assert.deepEqual(svc.spec?.ipFamilies, ["IPv4", "IPv6"]);
    const [clusterIp4, clusterIp6] = svc.spec!.clusterIps;
    assert.ok(isIPv4(clusterIp4!) && clusterIp6!.startsWith("fd00:10:96::"), svc.spec!.clusterIps.join(","));

    const web = await runningPod("web");
    const me = await runningPod("client");
    const [ip4, ip6] = me.status!.podIps.map((p) => p.ip);
    assert.equal(me.status?.podIp, ip4, "the IPv4 address is the primary podIP");
    assert.ok(isIPv4(ip4!) && ip4!.startsWith("10.88.30."), ip4);
    assert.ok(isIPv6(ip6!) && ip6!.startsWith("fd00:10:88:30:"), ip6);
    const hosts = await kpctl("exec", "client", "--", "cat", "/etc/hosts");
    assert.ok(hosts.stdout.includes(`${ip4}\tclient`) && hosts.stdout.includes(`${ip6}\tclient`), hosts.stdout);
    const env = await kpctl("exec", "client", "--", "sh", "-c", "echo $POD_IPS");
    assert.equal(env.stdout.trim(), `${ip4},${ip6}`, `the downward API's status.podIPs has both: ${env.stderr}`);

    // One EndpointSlice per family, each with the backend's address of that family.
    const byType = await waitFor(async () => {
      const list = (await client.list(slices, { namespace: "default", labelSelector: "kubernetes.io/service-name=web" })).items as discoveryV1.EndpointSlice[];
      const out = Object.fromEntries(list.map((s) => [s.addressType, s.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)]));
      return out.IPv4?.length === 1 && out.IPv6?.length === 1 ? out : undefined;
    }, { timeoutMs: 60_000, message: "an IPv4 and an IPv6 EndpointSlice with the ready backend" });
    assert.deepEqual(byType, { IPv4: [web.status!.podIps[0]!.ip], IPv6: [web.status!.podIps[1]!.ip] });

    // kube-proxy's ip6 table DNATs the IPv6 ClusterIP to the backend's IPv6 address.
    await waitFor(async () => (await execFileAsync("nft", ["list", "table", "ip6", "kube-proxy"])).stdout.includes(`dnat to [${byType.IPv6![0]}]:8080`), {
      timeoutMs: 30_000,
      message: "kube-proxy's ip6 rule for the backend",
    });
    // Our DNS: AAAA is the IPv6 ClusterIP, A the IPv4 one; an IPv4-only Service answers AAAA with no data.
    const dig = async (...args: string[]): Promise<string> => (await execFileAsync("dig", ["+short", "@127.0.0.1", ...args])).stdout.trim();
    assert.equal(await dig("AAAA", "web.default.svc.cluster.local"), clusterIp6);
    assert.equal(await dig("A", "web.default.svc.cluster.local"), clusterIp4);
    const { stdout: noData } = await execFileAsync("dig", ["@127.0.0.1", "AAAA", "kube-dns.kube-system.svc.cluster.local"]);
    assert.match(noData, /status: NOERROR/);
    assert.match(noData, /ANSWER: 0,/);

    // From the pod, by name (the short name, through the search path): the resolver prefers the
    // AAAA answer; the backend sees the pod's IPv6 source (busybox httpd writes it in brackets).
    const fetchInPod = async (url: string): Promise<string | undefined> => {
      const out = await kpctl("exec", "client", "--", "timeout", "-s", "KILL", "15", "wget", "-qO-", url);
      return out.code === 0 ? out.stdout.trim().replace(/^\[(.*)\]$/, "$1") : undefined;
    };
    const seen = await waitFor(() => fetchInPod("http://web/cgi-bin/ip"), { timeoutMs: 60_000, message: "wget http://web/cgi-bin/ip from the pod" });
    assert.equal(seen, ip6, "the connection went over IPv6 from the pod's IPv6 address");
    assert.equal(await fetchInPod("http://web.default.svc.cluster.local./cgi-bin/ip"), ip6, "the fully qualified name too");
    // The IPv6 ClusterIP by address, and the IPv4 one still from the pod's IPv4 address.
    assert.equal(await fetchInPod(`http://[${clusterIp6}]/cgi-bin/ip`), ip6);
    assert.equal(await fetchInPod(`http://${clusterIp4}/cgi-bin/ip`), `::ffff:${ip4}`);
  });
});
