// A simulated node for the integration test: a node namespace with a bridge, and pod namespaces on it each serving its name over HTTP.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetns, deleteNetns, nsExec } from "./netns.js";

/** One pod: its namespace, address and the text its HTTP server answers with. */
export interface TestPod {
  netns: string;
  ip: string;
  name: string;
}

/** The node and its pods; `destroy` removes every namespace (and their processes) and the pods' files. */
export interface TestNode {
  netns: string;
  /** The node's address on the pod bridge (also the pods' gateway). */
  ip: string;
  pods: TestPod[];
  destroy(): Promise<void>;
}

/** The port each pod's busybox httpd listens on. */
export const podPort = 8080;

/**
 * Builds node `kp-node-…` with bridge kpbr0 at 10.214.0.1/24 and `podCount` pods at 10.214.0.2…
 * attached by veths with hairpin on, each running `busybox httpd` that answers "pod-<i>" (and the
 * client's address at /cgi-bin/ip). The
 * node routes `serviceCidr` to the bridge so its own traffic to ClusterIPs reaches the DNAT.
 */
export async function createTestNode(podCount: number, serviceCidr: string): Promise<TestNode> {
  const created: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), "kp-proxy-pods-"));
  const destroy = async (): Promise<void> => {
    for (const ns of created.reverse()) await deleteNetns(ns);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const node = await createNetns("node");
    created.push(node);
    const inNode = (...argv: string[]): Promise<string> => nsExec(node, argv);
    await inNode("ip", "link", "add", "kpbr0", "type", "bridge");
    await inNode("ip", "addr", "add", "10.214.0.1/24", "dev", "kpbr0");
    await inNode("ip", "link", "set", "kpbr0", "up");
    await inNode("ip", "route", "add", serviceCidr, "dev", "kpbr0");
    await inNode("sysctl", "-qw", "net.ipv4.ip_forward=1");
    const pods: TestPod[] = [];
    for (let i = 0; i < podCount; i++) {
      const pod = await createNetns("pod");
      created.push(pod);
      const ip = `10.214.0.${i + 2}`;
      const veth = `kpveth${i}`;
      await inNode("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", pod);
      await inNode("ip", "link", "set", veth, "master", "kpbr0", "up");
      await inNode("bridge", "link", "set", "dev", veth, "hairpin", "on");
      await nsExec(pod, ["ip", "addr", "add", `${ip}/24`, "dev", "eth0"]);
      await nsExec(pod, ["ip", "link", "set", "eth0", "up"]);
      await nsExec(pod, ["ip", "route", "add", "default", "via", "10.214.0.1"]);
      const root = join(dir, `pod-${i}`);
      await mkdir(root);
      await writeFile(join(root, "index.html"), `pod-${i}\n`);
      // /cgi-bin/ip answers the client address the pod sees (traffic policy tests: SNAT or not).
      await mkdir(join(root, "cgi-bin"));
      await writeFile(join(root, "cgi-bin", "ip"), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n');
      await chmod(join(root, "cgi-bin", "ip"), 0o755);
      // Without -f busybox httpd daemonizes; deleting the namespace kills it.
      await nsExec(pod, ["busybox", "httpd", "-p", String(podPort), "-h", root]);
      pods.push({ netns: pod, ip, name: `pod-${i}` });
    }
    return { netns: node, ip: "10.214.0.1", pods, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

