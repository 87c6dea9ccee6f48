// Integration test of node-ipam and the route controller (dual stack: one route per family) on a real apiserver, with two network namespaces standing in for two hosts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { coreV1Node } from "@kubeplane/api";
import { createNetns, deleteNetns, waitFor } from "@kubeplane/testing";
import { nodeKind } from "../src/controllers/cloud-node.js";
import { ROUTE_PROTO } from "../src/provider/bare-metal/routes.js";
import { startCcmCluster, type CcmCluster } from "./harness.js";

const run = promisify(execFile);
const ip = async (...args: string[]): Promise<string> => (await run("ip", args)).stdout;

type Node = coreV1Node.Node;

/** The pod-CIDR routes (ours: proto 77) of both families in a namespace, as "cidr via gateway". */
async function routesIn(netns: string): Promise<string[]> {
  const found: { dst: string; gateway?: string }[] = [];
  for (const family of ["-4", "-6"]) found.push(...(JSON.parse((await ip("-n", netns, family, "-j", "route", "show", "proto", ROUTE_PROTO)) || "[]") as { dst: string; gateway?: string }[]));
  return found.map((r) => `${r.dst} via ${r.gateway}`).sort();
}

describe("pod CIDRs and routes between two hosts", () => {
  let nsA = "";
  let nsB = "";
  let cluster: CcmCluster;

  before(async () => {
    // Two "hosts" joined by a veth pair on 10.213.7.0/24 and fd00:213:7::/64.
    nsA = await createNetns("ccm-a");
    nsB = await createNetns("ccm-b");
    await ip("-n", nsA, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nsB);
    await ip("-n", nsA, "addr", "add", "10.213.7.1/24", "dev", "eth0");
    await ip("-n", nsB, "addr", "add", "10.213.7.2/24", "dev", "eth0");
    await ip("-n", nsA, "addr", "add", "fd00:213:7::1/64", "dev", "eth0", "nodad");
    await ip("-n", nsB, "addr", "add", "fd00:213:7::2/64", "dev", "eth0", "nodad");
    for (const ns of [nsA, nsB]) await ip("-n", ns, "link", "set", "eth0", "up");
    cluster = await startCcmCluster({
      machines: [
        { name: "host-a", addresses: [{ type: "InternalIP", address: "10.213.7.1" }, { type: "InternalIP", address: "fd00:213:7:0::1" }], netns: nsA },
        { name: "host-b", addresses: [{ type: "InternalIP", address: "10.213.7.2" }, { type: "InternalIP", address: "fd00:213:7::2" }], netns: nsB },
      ],
    });
    await cluster.startCcm({ controllers: ["node-ipam", "route"], clusterCidr: "10.214.0.0/16,fd00:214::/56", nodeCidrMaskSize: 24 });
  });

  after(async () => {
    await cluster?.stop();
    for (const ns of [nsA, nsB]) if (ns) await deleteNetns(ns);
  });

  it("each host routes the other's pod CIDRs via its address of the same family; deleting a Node removes its routes", async () => {
    for (const name of ["host-a", "host-b"]) {
      await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name } }));
    }
    const cidrOf = async (name: string): Promise<string> => ((await cluster.client.get(nodeKind, "", name)) as Node).spec?.podCidr ?? "";
    const [cidrA, cidrB] = await waitFor(async () => {
      const both = [await cidrOf("host-a"), await cidrOf("host-b")];
      return both.every(Boolean) ? both : undefined;
    }, { message: "both Nodes to get a pod CIDR" });
    assert.deepEqual([cidrA, cidrB].sort(), ["10.214.0.0/24", "10.214.1.0/24"]);

    const v6Of = async (name: string): Promise<string> => ((await cluster.client.get(nodeKind, "", name)) as Node).spec?.podCidrs[1] ?? "";
    const [v6A, v6B] = [await v6Of("host-a"), await v6Of("host-b")];
    assert.deepEqual([v6A, v6B].sort(), ["fd00:214:0:1::/64", "fd00:214::/64"]);
    const wantA = [`${cidrB} via 10.213.7.2`, `${v6B} via fd00:213:7::2`].sort();
    const wantB = [`${cidrA} via 10.213.7.1`, `${v6A} via fd00:213:7::1`].sort();
    await waitFor(async () => (await routesIn(nsA)).join() === wantA.join() && (await routesIn(nsB)).join() === wantB.join(), {
      timeoutMs: 30_000,
      message: "each namespace to route the other's pod CIDRs, IPv4 and IPv6",
    });
    // The route carries traffic: a TCP connect from A to an address of B's pod CIDR inside B is
    // refused by B's kernel (no listener), which only happens if the SYN got there and the RST back.
    const podAddress = cidrB!.replace(/0\/24$/, "1");
    await ip("-n", nsB, "addr", "add", `${podAddress}/32`, "dev", "lo");
    const probe = `require("net").connect({host:"${podAddress}",port:9,timeout:3000}).on("error",(e)=>{console.log(e.code);process.exit(0)}).on("timeout",()=>{console.log("TIMEOUT");process.exit(0)})`;
    const { stdout } = await run("ip", ["netns", "exec", nsA, process.execPath, "-e", probe]);
    assert.equal(stdout.trim(), "ECONNREFUSED");
    const podAddress6 = v6B!.replace(/::\/64$/, "::1");
    await ip("-n", nsB, "addr", "add", `${podAddress6}/128`, "dev", "lo", "nodad");
    const { stdout: out6 } = await run("ip", ["netns", "exec", nsA, process.execPath, "-e", probe.replace(podAddress, podAddress6)]);
    assert.equal(out6.trim(), "ECONNREFUSED", "the IPv6 route carries traffic too");

    const nodeB = (await cluster.client.get(nodeKind, "", "host-b")) as Node;
    assert.equal(nodeB.status?.conditions.find((c) => c.type === "NetworkUnavailable")?.reason, "RouteCreated");

    // Drift on a host is repaired.
    await ip("-n", nsB, "route", "del", cidrA!);
    await ip("-n", nsB, "-6", "route", "del", v6A!);
    await waitFor(async () => (await routesIn(nsB)).join() === wantB.join(), { timeoutMs: 30_000, message: "the deleted routes to be restored" });

    await cluster.client.delete(nodeKind, "", "host-b");
    await waitFor(async () => (await routesIn(nsA)).length === 0, { timeoutMs: 30_000, message: "host-b's routes to go from host-a" });
    assert.deepEqual(await routesIn(nsB), wantB, "host-a's routes stay");
  });

  it("keeps a pod CIDR set by someone else and never hands it out again", async () => {
    await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: "preset" }, spec: { podCidr: "10.214.1.0/24", podCidrs: ["10.214.1.0/24"] } }));
    await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: "fresh" } }));
    const fresh = await waitFor(async () => ((await cluster.client.get(nodeKind, "", "fresh")) as Node).spec?.podCidr, { message: "fresh to get a pod CIDR" });
    assert.equal(((await cluster.client.get(nodeKind, "", "preset")) as Node).spec?.podCidr, "10.214.1.0/24");
    assert.notEqual(fresh, "10.214.1.0/24");
    assert.notEqual(fresh, "10.214.0.0/24", "host-a still holds the first one");
  });
});
