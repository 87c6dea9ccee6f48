// The kubelet end to end, inside a network namespace of the test's own: real etcd, NATS and
// apiserver, containerd with runc and the CNI bridge, a local registry serving a busybox image,
// and the kubelet as its own process — pods run, restart, probe, stop, leak nothing, survive a
// kubelet restart; logs and exec work through the apiserver with kpctl; the kubelet's Events tell
// what it did.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { coreV1Pod, isNotFound, kindFor, type coreV1Event, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { BUSYBOX_IMAGE, clientTls, enterTestNetns, httpGet, pushImage, runKpctl, startControlPlane, startNodeStack, waitFor, type ControlPlane, type NodeStack } from "@kubeplane/testing";
import { ipv4InCidr } from "../src/cni/pod-cidr.js";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const eventKind = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
const POD_CIDR = "10.88.9.0/24";
const IMAGE = BUSYBOX_IMAGE;
const NODE = "node-a";

function podOf(name: string, spec: Partial<coreV1Pod.PodSpec>): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { name, namespace: "default" },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, ...spec, containers: spec.containers ?? [] },
  });
}

describe("kubelet on containerd, runc and CNI", () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let client: ApiClient;

  const get = async (name: string): Promise<coreV1Pod.Pod> => (await client.get(pods, "default", name)) as coreV1Pod.Pod;
  const status = async (name: string, container = "app"): Promise<coreV1Pod.ContainerStatus | undefined> =>
    (await get(name)).status?.containerStatuses.find((c) => c.name === container);
  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args);
  /** The kubelet's Events about the object (default namespace, or the node's), as listed now. */
  const kubeletEvents = async (name: string, kind = "Pod"): Promise<coreV1Event.Event[]> =>
    ((await client.list(eventKind, { namespace: "default" })).items as coreV1Event.Event[]).filter(
      (e) => e.involvedObject?.kind === kind && e.involvedObject.name === name && e.source?.component === "kubelet",
    );
  /** How many times an event was recorded (summing counts, so it holds whether repeats are merged or not). */
  const times = (seen: coreV1Event.Event[], reason: string, message: string): number =>
    seen.filter((e) => e.reason === reason && e.message === message).reduce((n, e) => n + (e.count || 1), 0);
  /** Waits until the kubelet recorded, about the object, an event matching each [type, reason, message]. */
  const expectEvents = async (name: string, expected: Array<[string, string, string | RegExp]>, kind = "Pod"): Promise<coreV1Event.Event[]> => {
    let seen: coreV1Event.Event[] = [];
    const matches = (e: coreV1Event.Event, [type, reason, message]: [string, string, string | RegExp]): boolean =>
      e.type === type && e.reason === reason && (typeof message === "string" ? e.message === message : message.test(e.message));
    return waitFor(async () => {
      seen = await kubeletEvents(name, kind);
      return expected.every((x) => seen.some((e) => matches(e, x))) ? seen : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100, message: `the kubelet's events about ${kind} ${name}` }).catch((err: Error) => {
      throw new Error(`${err.message}; seen: ${seen.map((e) => `${e.type} ${e.reason} "${e.message}"`).join("; ")}`);
    });
  };
  const deleteAndWait = async (name: string): Promise<void> => {
    await client.delete(pods, "default", name).catch(() => undefined);
    await waitFor(async () => get(name).then(() => false, (err: unknown) => isNotFound(err)), { timeoutMs: 30_000, message: `pod ${name} gone` });
  };

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await startNodeStack(cp, {
      nodeName: NODE,
      podCidr: POD_CIDR,
      kubeletFlags: { "crash-loop-backoff-initial": "1s", "image-pull-backoff-initial": "1s", "sync-frequency": "2s", "node-status-update-frequency": "2s" },
    });
    await waitFor(async () => {
      const n = (await client.get(nodes, "", NODE).catch(() => undefined)) as coreV1Node.Node | undefined;
      return n?.status?.conditions.some((c) => c.type === "Ready" && c.status === "True");
    }, { timeoutMs: 30_000, message: "node Ready" });
  });

  after(async () => {
    if (process.env.KP_TEST_DEBUG) console.log(node?.kubelet.output());
    client?.close();
    await node?.stop();
    await cp?.stop();
  });

  it("runs an httpd pod with an IP from the node's CIDR that answers HTTP; logs and exec work through kpctl", async () => {
    await client.create(pods, podOf("web", {
      containers: [{ name: "app", image: IMAGE, command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && echo started; exec httpd -f -p 8080 -h /www"] } as coreV1Pod.Container],
    }));
    const running = await waitFor(async () => {
      const p = await get("web");
      return p.status?.phase === "Running" && p.status.podIp ? p : undefined;
    }, { timeoutMs: 30_000, message: "web Running with an IP" });
    assert.ok(ipv4InCidr(running.status!.podIp, POD_CIDR), `${running.status!.podIp} in ${POD_CIDR}`);
    assert.equal(running.status!.hostIp, "127.0.0.1");
    assert.equal(running.status!.conditions.find((c) => c.type === "Ready")?.status, "True");
    assert.match(running.status!.containerStatuses[0]!.containerId, /^containerd:\/\//);
    const body = await waitFor(() => httpGet(`http://${running.status!.podIp}:8080/`).catch(() => undefined), { timeoutMs: 10_000, message: "HTTP answer from the pod" });
    assert.equal(body.trim(), "hello-from-pod");

    const logs = await waitFor(async () => {
      const out = await kpctl("logs", "web");
      return out.stdout.includes("started") ? out : undefined;
    }, { timeoutMs: 10_000, message: "kpctl logs shows the container's output" });
    assert.equal(logs.code, 0);
    const exec = await kpctl("exec", "web", "--", "sh", "-c", "cat /www/index.html; exit 3");
    assert.equal(exec.stdout.trim(), "hello-from-pod", `kpctl exec: code ${exec.code}, stderr ${exec.stderr}`);
    assert.equal(exec.code, 3);
    // A pod shows once the kubelet has two CPU samples a window apart (as with metrics-server).
    const top = await waitFor(async () => {
      const out = await kpctl("top", "pods");
      return out.code === 0 && /^web\s+\d+m\s+\d+(Ki|Mi)\s*$/m.test(out.stdout) ? out : undefined;
    }, { timeoutMs: 20_000, message: "kpctl top pods shows web's CPU and memory" });
    assert.equal(top.stderr, "");
    const topNodes = await kpctl("top", "nodes");
    assert.match(topNodes.stdout, new RegExp(`^${NODE}\\s`, "m"), `kpctl top nodes:\n${topNodes.stdout}`);
    const resolv = await kpctl("exec", "web", "--", "cat", "/etc/hosts");
    assert.match(resolv.stdout, new RegExp(`${running.status!.podIp.replace(/\./g, "\\.")}\\s+web`), `code ${resolv.code} stderr ${resolv.stderr}`);

    // The kubelet's events, once each although many passes and relists went by since.
    const image = IMAGE.replace(/\./g, "\\.");
    const seen = await expectEvents("web", [
      ["Normal", "Pulled", new RegExp(`^(Successfully pulled image "${image}" in \\d+(\\.\\d+)?m?s|Container image "${image}" already present on machine)$`)],
      ["Normal", "Created", "Created container app"],
      ["Normal", "Started", "Started container app"],
    ]);
    assert.equal(times(seen, "Created", "Created container app"), 1, "Created recorded once");
    assert.equal(times(seen, "Started", "Started container app"), 1, "Started recorded once");
    for (const e of seen) {
      assert.equal(e.reportingComponent, "kubelet");
      assert.equal(e.reportingInstance, NODE);
      assert.equal(e.source?.host, NODE);
      assert.equal(e.involvedObject?.uid, running.metadata!.uid);
      assert.equal(e.involvedObject?.fieldPath, "spec.containers{app}", `${e.reason}: about the container`);
    }
    assert.ok(!seen.some((e) => e.type === "Warning"), "no warning about a healthy pod");
    await expectEvents(NODE, [
      ["Normal", "Starting", "Starting kubelet."],
      ["Normal", "NodeReady", `Node ${NODE} status is now: NodeReady`],
    ], "Node");
  });

  it("restarts a failing container with back-off (CrashLoopBackOff, rising restartCount)", async () => {
    await client.create(pods, podOf("crasher", { containers: [{ name: "app", image: IMAGE, command: ["sh", "-c", "echo boom; exit 1"] } as coreV1Pod.Container] }));
    const seen = new Set<string>();
    await waitFor(async () => {
      const s = await status("crasher");
      if (s?.state?.waiting?.reason) seen.add(s.state.waiting.reason);
      return (s?.restartCount ?? 0) >= 2 && seen.has("CrashLoopBackOff") ? s : undefined;
    }, { timeoutMs: 30_000, message: "restartCount ≥ 2 and CrashLoopBackOff seen" });
    const s = await status("crasher");
    assert.equal(s?.lastState?.terminated?.exitCode, 1);
    assert.equal((await get("crasher")).status?.phase, "Running");
    const uid = (await get("crasher")).metadata!.uid;
    const events = await expectEvents("crasher", [["Warning", "BackOff", `Back-off restarting failed container app in pod crasher_default(${uid})`]]);
    assert.ok(times(events, "Started", "Started container app") >= 2, "a Started event for each restart");
    await deleteAndWait("crasher");
  });

  it("a failing liveness probe restarts the container; a failing readiness probe only makes the pod not Ready", async () => {
    await client.create(pods, podOf("probed", {
      containers: [
        {
          name: "live",
          image: IMAGE,
          command: ["sh", "-c", "touch /tmp/alive; sleep 3600"],
          livenessProbe: { exec: { command: ["sh", "-c", "test -f /tmp/alive && rm /tmp/alive"] }, periodSeconds: 1, failureThreshold: 1, initialDelaySeconds: 1 },
        } as coreV1Pod.Container,
        {
          name: "ready",
          image: IMAGE,
          command: ["sleep", "3600"],
          readinessProbe: { exec: { command: ["false"] }, periodSeconds: 1 },
        } as coreV1Pod.Container,
      ],
    }));
    await waitFor(async () => ((await status("probed", "live"))?.restartCount ?? 0) >= 1, { timeoutMs: 30_000, message: "liveness restart" });
    const p = await get("probed");
    const ready = p.status!.containerStatuses.find((c) => c.name === "ready")!;
    assert.equal(ready.ready, false);
    assert.equal(ready.restartCount, 0);
    assert.ok(ready.state?.running, "the not-ready container keeps running");
    assert.equal(p.status!.conditions.find((c) => c.type === "Ready")?.status, "False");
    const seen = await expectEvents("probed", [
      ["Warning", "Unhealthy", /^Liveness probe failed: /],
      ["Normal", "Killing", "Container live failed liveness probe, will be restarted"],
      ["Warning", "Unhealthy", /^Readiness probe failed: /],
    ]);
    assert.equal(times(seen, "Killing", "Container ready failed liveness probe, will be restarted"), 0, "a failing readiness probe kills nothing");
    await deleteAndWait("probed");
  });

  it("deleting a pod runs preStop, sends SIGTERM, SIGKILLs after the grace period, and cleans up sandbox, network and cgroups", async () => {
    const shared = join(node!.dir, "shared");
    await mkdir(shared, { recursive: true });
    await client.create(pods, podOf("stopper", {
      terminationGracePeriodSeconds: 2,
      volumes: [{ name: "shared", hostPath: { path: shared, type: "DirectoryOrCreate" } }] as coreV1Pod.PodSpec["volumes"],
      containers: [
        {
          name: "polite",
          image: IMAGE,
          command: ["sh", "-c", "trap 'echo term > /shared/polite; exit 0' TERM; while true; do sleep 0.2; done"],
          volumeMounts: [{ name: "shared", mountPath: "/shared" }],
          lifecycle: { preStop: { exec: { command: ["sh", "-c", "echo prestop > /shared/prestop"] } } },
        } as coreV1Pod.Container,
        { name: "stubborn", image: IMAGE, command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"] } as coreV1Pod.Container,
      ],
    }));
    const running = await waitFor(async () => {
      const p = await get("stopper");
      return p.status?.phase === "Running" ? p : undefined;
    }, { timeoutMs: 30_000, message: "stopper Running" });
    const started = Date.now();
    await client.delete(pods, "default", "stopper");
    await waitFor(async () => get("stopper").then(() => false, (err: unknown) => isNotFound(err)), { timeoutMs: 30_000, message: "stopper gone" });
    const took = Date.now() - started;
    assert.equal((await readFile(join(shared, "prestop"), "utf8")).trim(), "prestop");
    assert.equal((await readFile(join(shared, "polite"), "utf8")).trim(), "term");
    assert.ok(took >= 1_500, `the stubborn container was given its grace period (${took} ms)`);
    await expectEvents("stopper", [
      ["Normal", "Killing", "Stopping container polite"],
      ["Normal", "Killing", "Stopping container stubborn"],
    ]);
    const uid = running.metadata!.uid;
    const { stdout } = await execFileAsync("ip", ["-o", "link"]);
    assert.equal((await listSandboxes()).filter((s) => s.includes(uid)).length, 0);
    assert.ok(!stdout.includes(running.status!.podIp), "no link left for the pod");
  });

  async function listSandboxes(): Promise<string[]> {
    const out = await node!.containerd.ctr(["containers", "ls", "-q"]);
    return out.split("\n").filter(Boolean);
  }

  it("20 pods created and deleted leave no sandbox, container, netns, IP allocation, cgroup or volume behind", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `cycle-${i}`);
    await Promise.all(names.map((n) => client.create(pods, podOf(n, { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: IMAGE, command: ["sleep", "3600"] } as coreV1Pod.Container] }))));
    await waitFor(async () => (await Promise.all(names.map((n) => get(n)))).every((p) => p.status?.phase === "Running"), { timeoutMs: 60_000, message: "20 pods Running" });
    await Promise.all(names.map((n) => deleteAndWait(n)));
    let last: unknown;
    const remaining = await waitFor(async () => {
      const containers = await listSandboxes();
      const ipam = await readdir(join(node!.dir, "kubelet", "cni", "kubeplane")).catch(() => [] as string[]);
      const ips = ipam.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
      const podDirs = await readdir(join(node!.dir, "kubelet", "pods")).catch(() => [] as string[]);
      const cgroups = await readdir(`/sys/fs/cgroup/memory/kubeplane-test-${process.pid}-${NODE}`).catch(() => [] as string[]);
      const podCgroups = cgroups.filter((c) => c.startsWith("pod"));
      // Only the web pod of the first test remains.
      last = { containers, ips, podDirs, podCgroups };
      return containers.length <= 2 && ips.length === 1 && podDirs.length === 1 && podCgroups.length === 1 ? { containers, ips, podDirs, podCgroups } : undefined;
    }, { timeoutMs: 30_000, message: "nothing but the web pod left in the runtime, IPAM, pod dirs and cgroups" }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
    });
    assert.equal(remaining.ips.length, 1);
  });

  it("a memory limit is enforced: a container allocating beyond it is OOMKilled", async () => {
    await client.create(pods, podOf("hog", {
      restartPolicy: "Never",
      containers: [{ name: "app", image: IMAGE, command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4"], resources: { limits: { memory: "16Mi" }, requests: {}, claims: [] } } as unknown as coreV1Pod.Container],
    }));
    const terminated = await waitFor(async () => (await status("hog"))?.state?.terminated, { timeoutMs: 30_000, message: "hog terminated" });
    assert.equal(terminated.reason, "OOMKilled");
    assert.equal((await get("hog")).status?.phase, "Failed");
    await deleteAndWait("hog");
  });

  it("killing and restarting the kubelet leaves running containers untouched and their status unchanged", async () => {
    await waitFor(async () => /^container_memory_working_set_bytes\{namespace="default",pod="web",container="app"\} [1-9]/m.test(await node!.kubelet.metrics()), {
      timeoutMs: 30_000,
      message: "the web container's working set in the kubelet's metrics",
    });
    const before = await get("web");
    await node!.restartKubelet();
    // Give the new kubelet a few sync passes over the pod, then compare.
    await waitFor(async () => (await node!.kubelet.metrics()).match(/^kubelet_pod_worker_duration_seconds_count\s+([3-9]|\d\d+)/m), { timeoutMs: 30_000, message: "new kubelet synced pods" });
    const after = await get("web");
    assert.equal(after.status!.containerStatuses[0]!.containerId, before.status!.containerStatuses[0]!.containerId);
    assert.equal(after.status!.containerStatuses[0]!.restartCount, before.status!.containerStatuses[0]!.restartCount);
    assert.deepEqual(coreV1Pod.PodStatus.toJSON(after.status!), coreV1Pod.PodStatus.toJSON(before.status!));
    assert.equal((await httpGet(`http://${after.status!.podIp}:8080/`)).trim(), "hello-from-pod");
    // The new kubelet adopted the container: nothing was created or started again; it did start itself.
    const web = await kubeletEvents("web");
    assert.equal(times(web, "Created", "Created container app"), 1);
    assert.equal(times(web, "Started", "Started container app"), 1);
    await waitFor(async () => times(await kubeletEvents(NODE, "Node"), "Starting", "Starting kubelet.") >= 2, { timeoutMs: 20_000, message: "a Starting event from each kubelet start" });
    // Its runtime and pod network were up: it reported Ready from its first status write, no NotReady flap.
    assert.equal(times(await kubeletEvents(NODE, "Node"), "NodeNotReady", `Node ${NODE} status is now: NodeNotReady`), 0);
  });

  it("an image that does not exist gives ErrImagePull then ImagePullBackOff, and the pod recovers once it is pushed", async () => {
    const missing = `${node!.registry.host}/library/later:1.0`;
    await client.create(pods, podOf("later", { containers: [{ name: "app", image: missing, command: ["sleep", "3600"] } as coreV1Pod.Container] }));
    const reasons = new Set<string>();
    let last: unknown;
    await waitFor(async () => {
      const s = await status("later");
      last = s?.state;
      const r = s?.state?.waiting?.reason;
      if (r) reasons.add(r);
      // ErrImagePull lasts from a failed pull to the next sync, which may come before a status write shows
      // it (CI saw only ImagePullBackOff in 280 polls): it is asserted by its event below, which every pull records.
      return reasons.has("ImagePullBackOff");
    }, { timeoutMs: 30_000, intervalMs: 100, message: "ImagePullBackOff" }).catch((err: Error) => {
      throw new Error(`${err.message}; reasons seen ${[...reasons].join(", ")}; last state ${JSON.stringify(last)}`);
    });
    // Pushed at once: every pull and back-off in between costs the pod's events from the kubelet's spam
    // filter (25 an object, as client-go's), and on a slow machine Pulled and Started would be dropped.
    await pushImage(node!.registry.host, node!.image.dir, "library/later:1.0");
    const quoted = missing.replace(/\./g, "\\.");
    await expectEvents("later", [
      ["Normal", "Pulling", `Pulling image "${missing}"`],
      ["Warning", "Failed", new RegExp(`^Failed to pull image "${quoted}": .+`)],
      ["Warning", "Failed", "Error: ErrImagePull"],
      ["Normal", "BackOff", `Back-off pulling image "${missing}"`],
      ["Warning", "Failed", "Error: ImagePullBackOff"],
    ]);
    await waitFor(async () => (await get("later")).status?.phase === "Running", { timeoutMs: 60_000, message: "later Running once the image exists" });
    await expectEvents("later", [
      ["Normal", "Pulled", new RegExp(`^Successfully pulled image "${quoted}" in \\d+(\\.\\d+)?m?s$`)],
      ["Normal", "Started", "Started container app"],
    ]);
    await deleteAndWait("later");
  });
});
