// The CRI client against a real containerd, runc, CNI bridge and registry, all inside a network namespace of the test's own.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildBusyboxImage,
  enterTestNetns,
  pushImage,
  startContainerd,
  startRegistry,
  waitFor,
  type Containerd,
  type ImageLayout,
  type Registry,
} from "@kubeplane/testing";
import { connectCri, type CriConnection } from "../src/cri/client.js";
import { CriError, isCriNotFound } from "../src/cri/errors.js";
import { writeCniConfig } from "../src/cni/cni-config.js";
import { ipv4InCidr } from "../src/cni/pod-cidr.js";
import { containerLogPath, podLogDir } from "../src/paths.js";
import type { ContainerConfig, PodSandboxConfig } from "../src/runtime/types.js";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);
const POD_CIDR = "10.88.7.0/24";
const NETWORK = "kubeplane";
const IMAGE = "docker.io/library/busybox:1.36";

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 2_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function timed<T>(timings: Record<string, number>, name: string, action: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await action();
  } finally {
    timings[name] = Math.round(performance.now() - start);
  }
}

describe("CRI client on containerd with CNI and a local registry", () => {
  const timings: Record<string, number> = {};
  let registry: Registry | undefined;
  let busybox: ImageLayout | undefined;
  let containerd: Containerd | undefined;
  let cri: CriConnection | undefined;
  let stateDir = "";
  let ipamDir = "";
  let sandboxConfig: PodSandboxConfig;
  let sandboxId = "";
  let containerId = "";
  let podIp = "";

  before(async () => {
    const started = performance.now();
    stateDir = await mkdtemp(join(tmpdir(), "kp-cri-test-"));
    ipamDir = join(stateDir, "ipam");
    const reg = (registry = await startRegistry());
    const image = (busybox = await buildBusyboxImage());
    timings.buildImage = Math.round(performance.now() - started);
    await timed(timings, "push", () => pushImage(reg.host, image.dir, "library/busybox:1.36"));
    const ctrd = (containerd = await timed(timings, "startContainerd", () =>
      startContainerd({ mirrors: { "docker.io": reg.host }, plainHttpRegistries: [reg.host] }),
    ));
    timings.containerdReady = ctrd.startupMs;
    await writeCniConfig(ctrd.cniConfDir, { podCidr: POD_CIDR, bridge: "kp0", ipamDataDir: ipamDir, networkName: NETWORK });
    const runtime = (cri = connectCri(ctrd.endpoint, { timeoutMs: 30_000, pullTimeoutMs: 60_000 })).runtime;
    await timed(timings, "networkReady", () =>
      waitFor(async () => (await runtime.status()).find((c) => c.type === "NetworkReady")?.status, {
        timeoutMs: 10_000,
        message: "containerd's CRI to load the CNI config (NetworkReady)",
      }),
    );
    timings.setup = Math.round(performance.now() - started);
    const uid = "0b6a8a5e-0000-4000-8000-000000000001";
    sandboxConfig = {
      metadata: { name: "web", namespace: "default", uid, attempt: 0 },
      hostname: "web",
      logDirectory: podLogDir(join(stateDir, "pods"), "default", "web", uid),
      portMappings: [],
      labels: { "io.kubernetes.pod.name": "web" },
      annotations: { "kubeplane.io/test": "cri" },
    };
  });

  after(async () => {
    cri?.close();
    await timed(timings, "containerdStop", async () => containerd?.stop());
    await registry?.stop();
    await busybox?.remove();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    console.log(`# CRI timings (ms): ${JSON.stringify(timings)}`);
  });

  it("reports containerd's version over runtime.v1", async () => {
    const version = await cri!.runtime.version();
    assert.equal(version.runtimeName, "containerd");
    assert.equal(version.runtimeApiVersion, "v1");
  });

  it("pulls busybox from the local registry through the docker.io mirror and by its own address", async () => {
    const ref = await timed(timings, "pull", () => cri!.images.pullImage(IMAGE));
    assert.match(ref, /^sha256:[0-9a-f]{64}$/);
    const status = await cri!.images.imageStatus(IMAGE);
    assert.ok(status, "the pulled image has a status");
    assert.equal(status.id, ref);
    assert.ok(status.repoTags.includes(IMAGE), `repoTags ${status.repoTags.join(",")}`);
    assert.ok(status.size > 0);
    const direct = `${registry!.host}/library/busybox:1.36`;
    assert.equal(await cri!.images.pullImage(direct), ref, "the same image by digest from the registry's own address");
    assert.ok((await cri!.images.listImages()).some((image) => image.id === ref));
    assert.equal(await cri!.images.imageStatus("docker.io/library/busybox:absent"), undefined);
  });

  it("fails a pull of a tag the registry does not have with a CriError", async () => {
    await assert.rejects(cri!.images.pullImage(`${registry!.host}/library/busybox:absent`), (error: unknown) => {
      assert.ok(error instanceof CriError);
      assert.equal(error.method, "PullImage");
      assert.match(error.message, /not found/i);
      return true;
    });
  });

  it("runs a pod sandbox with an IP from the node's podCIDR", async () => {
    sandboxId = await timed(timings, "runPodSandbox", () => cri!.runtime.runPodSandbox(sandboxConfig));
    const status = await cri!.runtime.podSandboxStatus(sandboxId);
    assert.equal(status.state, "ready");
    assert.equal(status.metadata.uid, sandboxConfig.metadata.uid);
    assert.equal(status.annotations["kubeplane.io/test"], "cri");
    assert.ok(ipv4InCidr(status.ip, POD_CIDR), `sandbox IP ${status.ip} is in ${POD_CIDR}`);
    assert.notEqual(status.ip, "10.88.7.1", "the gateway is the bridge's, not a pod's");
    podIp = status.ip;
    assert.ok(existsSync(join(ipamDir, NETWORK, podIp)), "host-local recorded the allocation in the kubelet's dir");
    assert.equal((await readdir(containerd!.sandboxNetnsDir)).length, 1, "one sandbox netns");
    const listed = await cri!.runtime.listPodSandbox({ labelSelector: { "io.kubernetes.pod.name": "web" } });
    assert.deepEqual(
      listed.map((s) => s.id),
      [sandboxId],
    );
  });

  it("creates and starts an httpd container that the test reaches at podIP:8080", async () => {
    const config: ContainerConfig = {
      metadata: { name: "httpd", attempt: 0 },
      image: IMAGE,
      command: ["sh", "-c"],
      args: ["mkdir -p /www && echo hello-from-pod > /www/index.html && echo serving && exec httpd -f -p 8080 -h /www"],
      workingDir: "",
      envs: [{ key: "GREETING", value: "hi" }],
      mounts: [],
      logPath: containerLogPath("httpd", 0),
      labels: { "io.kubernetes.container.name": "httpd" },
      annotations: {},
      stdin: false,
      tty: false,
      linux: { resources: { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512, memoryLimitInBytes: 64 * 1024 * 1024 } },
    };
    containerId = await timed(timings, "createContainer", () => cri!.runtime.createContainer(sandboxId, config, sandboxConfig));
    await timed(timings, "startContainer", () => cri!.runtime.startContainer(containerId));
    const status = await cri!.runtime.containerStatus(containerId);
    assert.equal(status.state, "running");
    assert.ok(status.startedAt > status.createdAt && status.createdAt > 1e18, "nanosecond timestamps");
    const reply = await waitFor(() => httpGet(`http://${podIp}:8080/index.html`).then((r) => r.status === 200 && r), {
      timeoutMs: 10_000,
      message: `httpd on ${podIp}:8080`,
    });
    assert.equal(reply.body, "hello-from-pod\n");
  });

  it("runs ExecSync in the container with its stdout and exit code", async () => {
    const result = await cri!.runtime.execSync(containerId, ["sh", "-c", "echo hi; echo oops >&2; echo $GREETING; exit 3"], 10);
    assert.equal(result.stdout.toString(), "hi\nhi\n");
    assert.equal(result.stderr.toString(), "oops\n");
    assert.equal(result.exitCode, 3);
  });

  it("writes the container's output in CRI log format under the pod's log directory", async () => {
    const file = join(sandboxConfig.logDirectory, containerLogPath("httpd", 0));
    assert.equal((await cri!.runtime.containerStatus(containerId)).logPath, file);
    const text = await waitFor(() => readFile(file, "utf8").then((t) => t.includes("serving") && t), { message: `"serving" in ${file}` });
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F serving$/m);
  });

  it("reports the container's memory and CPU usage", async () => {
    const stats = await waitFor(() => cri!.runtime.containerStats(containerId).then((s) => s.memoryWorkingSetBytes > 0 && s), {
      message: "a memory sample",
    });
    assert.equal(stats.id, containerId);
    assert.equal(stats.metadata.name, "httpd");
    assert.ok(stats.cpuUsageCoreNanoSeconds > 0);
    assert.ok(stats.timestamp > 1e18);
    const all = await cri!.runtime.listContainerStats({ podSandboxId: sandboxId });
    assert.deepEqual(
      all.map((s) => s.id),
      [containerId],
    );
  });

  it("runs a host-network sandbox without a pod IP or a hostname of its own", async () => {
    const hostConfig: PodSandboxConfig = {
      ...sandboxConfig,
      metadata: { ...sandboxConfig.metadata, name: "host", uid: "0b6a8a5e-0000-4000-8000-000000000002" },
      hostname: "node-a",
      labels: {},
      linux: { hostNetwork: true },
    };
    const id = await cri!.runtime.runPodSandbox(hostConfig);
    try {
      const status = await cri!.runtime.podSandboxStatus(id);
      assert.equal(status.state, "ready");
      assert.equal(status.ip, "");
    } finally {
      await cri!.runtime.stopPodSandbox(id);
      await cri!.runtime.removePodSandbox(id);
    }
  });

  it("reports NOT_FOUND for a container that does not exist", async () => {
    await assert.rejects(cri!.runtime.containerStatus("does-not-exist"), (error: unknown) => isCriNotFound(error));
  });

  it("stops and removes the container and the sandbox, leaving no netns, IP or veth behind", async () => {
    await timed(timings, "stopContainer", () => cri!.runtime.stopContainer(containerId, 1));
    const stopped = await cri!.runtime.containerStatus(containerId);
    assert.equal(stopped.state, "exited");
    assert.ok(stopped.finishedAt >= stopped.startedAt);
    await cri!.runtime.removeContainer(containerId);
    assert.deepEqual(await cri!.runtime.listContainers({ podSandboxId: sandboxId }), []);

    await timed(timings, "stopPodSandbox", () => cri!.runtime.stopPodSandbox(sandboxId));
    assert.equal((await cri!.runtime.podSandboxStatus(sandboxId)).state, "notready");
    await cri!.runtime.removePodSandbox(sandboxId);
    await cri!.runtime.removePodSandbox(sandboxId); // idempotent, as the CRI requires

    assert.deepEqual(await cri!.runtime.listPodSandbox(), []);
    assert.deepEqual(await readdir(containerd!.sandboxNetnsDir), []);
    assert.equal(existsSync(join(ipamDir, NETWORK, podIp)), false, "host-local released the IP");
    const { stdout: links } = await execFileAsync("ip", ["-o", "link", "show"]);
    assert.doesNotMatch(links, /veth/, "the pod's veth is gone");
  });
});
