// The kubelet's gRPC API behind a real apiserver: logs (tail, previous, follow, cancel), exec, stats and their errors, through the API and through kpctl.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { Metadata, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, apiserverV1, coreV1Node, coreV1Pod, kindForResource, kubeletV1, type ApiError, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { Service } from "@kubeplane/service-kit";
import { clientTls, freePort, grpcCredentials, kpctlTlsFlags, nodeEntryArgs, serviceTlsConfig, startControlPlane, testPkiNow, waitFor, type ControlPlane } from "@kubeplane/testing";
import { containerLogPath, LABELS, podLogDir } from "../src/paths.js";
import type { ContainerStats, ContainerStatus, ExecSyncResult, RuntimeService } from "../src/runtime/types.js";
import { imageHandlers } from "../src/server/image-import.js";
import { kubeletServiceHandlers, StatsSummary, streamingHandlers, type ContainerInstance, type PodSource } from "../src/server/index.js";

const kpctlMain = fileURLToPath(new URL("../../kpctl/src/main.ts", import.meta.url));
const podsInfo = kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>;
const nodesInfo = kindForResource("", "nodes") as KindInfo<coreV1Node.Node>;
const NODE = "node-a";

interface FakeContainer {
  id: string;
  pod: coreV1Pod.Pod;
  name: string;
  attempt: number;
  running: boolean;
  logPath: string;
}

/**
 * Stands in for containerd in this test only: exec runs the command as a local child process (in
 * a temp dir), and stats are synthetic cumulative counters that grow by a quarter CPU-second per
 * simulated second. The real-containerd e2e of the kubelet replaces it.
 */
class LocalProcessRuntime implements Pick<RuntimeService, "execSync" | "containerStatus" | "listContainerStats"> {
  readonly containers: FakeContainer[] = [];
  private statsCalls = 0;

  constructor(private readonly cwd: string) {}

  execSync(_id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return new Promise((resolve, reject) => {
      execFile(cmd[0]!, cmd.slice(1), { cwd: this.cwd, encoding: "buffer", timeout: timeoutSeconds * 1000 }, (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        // As the CRI does: a command that outlives its timeout is DeadlineExceeded.
        if (err?.killed) reject(Object.assign(new Error("command timed out"), { code: 4 }));
        else if (err && typeof code !== "number") reject(err);
        else resolve({ stdout, stderr, exitCode: typeof code === "number" ? code : 0 });
      });
    });
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.find((x) => x.id === id);
    if (!c) return Promise.reject(Object.assign(new Error(`container ${id} not found`), { code: 5 }));
    return Promise.resolve({
      id,
      metadata: { name: c.name, attempt: c.attempt },
      state: c.running ? "running" : "exited",
      createdAt: 0,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: "",
      message: "",
      image: "busybox",
      imageRef: "busybox",
      logPath: c.logPath,
      labels: {},
      annotations: {},
    });
  }

  listContainerStats(): Promise<ContainerStats[]> {
    const second = ++this.statsCalls;
    return Promise.resolve(
      this.containers
        .filter((c) => c.running)
        .map((c) => ({
          id: c.id,
          metadata: { name: c.name, attempt: c.attempt },
          labels: {
            [LABELS.podName]: c.pod.metadata!.name,
            [LABELS.podNamespace]: c.pod.metadata!.namespace,
            [LABELS.podUid]: c.pod.metadata!.uid,
            [LABELS.containerName]: c.name,
          },
          timestamp: second * 1e9,
          cpuUsageCoreNanoSeconds: second * 0.25e9,
          memoryWorkingSetBytes: 64 * 1024 * 1024,
        })),
    );
  }
}

function cri(text: string, stream = "stdout"): string {
  return `${new Date().toISOString().replace("Z", "000000Z")} ${stream} F ${text}\n`;
}

let cp: ControlPlane;
let dir: string;
let client: ApiClient;
let api: apiserverV1.ApiServerServiceClient;
let kubelet: Service;
let runtime: LocalProcessRuntime;
const pods = new Map<string, coreV1Pod.Pod>();
let cancelledLogStreams = 0;
let webLog: string;
let kubeletAddress: string;

async function createNode(name: string, port: number): Promise<void> {
  await client.create(nodesInfo, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name } }));
  const node = (await client.get(nodesInfo, "", name)) as coreV1Node.Node;
  node.status = coreV1Node.NodeStatus.fromPartial({
    addresses: [{ type: "Hostname", address: name }, { type: "InternalIP", address: "127.0.0.1" }],
    daemonEndpoints: { kubeletEndpoint: { port } },
    allocatable: { cpu: "2", memory: "2Gi" },
  });
  await client.updateStatus(nodesInfo, node);
}

async function createPod(name: string, containers: string[], bind: boolean): Promise<coreV1Pod.Pod> {
  await client.create(podsInfo, coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { containers: containers.map((c) => ({ name: c, image: "busybox" })) },
  }));
  if (bind) await client.bind("default", name, NODE);
  const pod = (await client.get(podsInfo, "default", name)) as coreV1Pod.Pod;
  if (bind) pods.set(name, pod);
  return pod;
}

async function addContainer(pod: coreV1Pod.Pod, name: string, attempt: number, running: boolean, lines: string): Promise<string> {
  const logDir = podLogDir(dir, pod.metadata!.namespace, pod.metadata!.name, pod.metadata!.uid);
  const logPath = join(logDir, containerLogPath(name, attempt));
  await mkdir(join(logPath, ".."), { recursive: true });
  await writeFile(logPath, lines);
  runtime.containers.push({ id: `${pod.metadata!.name}-${name}-${attempt}`, pod, name, attempt, running, logPath });
  return logPath;
}

before(async () => {
  cp = await startControlPlane();
  dir = await mkdtemp(join(tmpdir(), "kubelet-server-"));
  client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  api = new apiserverV1.ApiServerServiceClient(cp.apiserver.grpcAddress, grpcCredentials());
  runtime = new LocalProcessRuntime(dir);

  const podSource: PodSource = { get: (ns, name) => (ns === "default" ? pods.get(name) : undefined), list: () => [...pods.values()] };
  const locate = (pod: coreV1Pod.Pod, container: string, previous: boolean): Promise<ContainerInstance | undefined> => {
    const attempts = runtime.containers.filter((c) => c.pod.metadata!.uid === pod.metadata!.uid && c.name === container).sort((a, b) => b.attempt - a.attempt);
    return Promise.resolve(attempts[previous ? 1 : 0]);
  };
  kubelet = new Service({ name: "kubelet", config: { grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", logLevel: "error", shutdownGracePeriod: 1000, insecureServing: false, ...serviceTlsConfig(await testPkiNow().node(NODE)) } });
  const handlers = kubeletServiceHandlers({
    pods: podSource,
    containers: { containerId: locate },
    runtime,
    stats: new StatsSummary({ nodeName: NODE, runtime, nodeUsage: () => Promise.resolve({ timestampNanos: Date.now() * 1e6, cpuUsageCoreNanoSeconds: 5e9, memoryWorkingSetBytes: 512 * 1024 * 1024 }) }),
    logger: kubelet.logger,
    followPollMs: 100,
  });
  const containerLogs = handlers.containerLogs.bind(handlers);
  handlers.containerLogs = (call: ServerWritableStream<kubeletV1.ContainerLogsRequest, kubeletV1.LogChunk>) => {
    call.on("cancelled", () => cancelledLogStreams++);
    containerLogs(call);
  };
  const images = imageHandlers({ runtimeEndpoint: "unix:///nonexistent", scratchDir: join(dir, "image-import"), images: { listImages: () => Promise.resolve([]) }, logger: kubelet.logger });
  // The service's streaming methods must have handlers to start; streams run against containerd in services/kpctl/test/interactive.test.ts.
  const noStreams = (): Promise<never> => Promise.reject(new Error("interactive streams are not part of this test"));
  const streams = streamingHandlers({
    pods: podSource,
    containers: { containerId: locate },
    runtime: { containerStatus: (id: string) => runtime.containerStatus(id), exec: noStreams, attach: noStreams, portForward: noStreams },
    sandboxOf: () => Promise.resolve(undefined),
    logger: kubelet.logger,
  });
  kubelet.addService(kubeletV1.KubeletServiceService, { ...handlers, ...images, ...streams });
  const { grpcPort, grpcAddress } = await kubelet.start();
  kubeletAddress = grpcAddress;

  await createNode(NODE, grpcPort);

  const web = await createPod("web", ["app"], true);
  await addContainer(web, "app", 0, false, cri("crashed once") + cri("panic: boom", "stderr"));
  webLog = await addContainer(web, "app", 1, true, cri("starting") + cri("listening on :8080") + cri("GET /healthz 200"));
  const multi = await createPod("multi", ["a", "b"], true);
  await addContainer(multi, "a", 0, true, cri("from a"));
  await addContainer(multi, "b", 0, true, cri("from b"));
  await createPod("pending", ["app"], false);
});

after(async () => {
  api?.close();
  client?.close();
  await kubelet?.stop();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function logs(req: Partial<apiserverV1.PodLogsRequest>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const stream = api.podLogs(apiserverV1.PodLogsRequest.fromPartial({ namespace: "default", ...req }));
    stream.on("data", (c: kubeletV1.LogChunk) => (out += Buffer.from(c.data).toString()));
    stream.on("end", () => resolve(out));
    stream.on("error", (err: ServiceError) => reject(apiErrorFromGrpc(err)));
  });
}

function exec(req: Partial<apiserverV1.PodExecRequest>): Promise<kubeletV1.ExecResponse> {
  return new Promise((resolve, reject) => {
    api.podExec(apiserverV1.PodExecRequest.fromPartial({ namespace: "default", ...req }), new Metadata(), {}, (err, res) => (err ? reject(apiErrorFromGrpc(err)) : resolve(res!)));
  });
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  assert.fail("expected the call to fail");
}

interface KpctlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kpctl(args: string[]): { child: ChildProcess; done: Promise<KpctlRun>; output: () => string } {
  const child = spawn(process.execPath, [...nodeEntryArgs(kpctlMain), `--server=${cp.apiserver.grpcAddress}`, ...kpctlTlsFlags(), ...args], {
    env: { ...process.env, KUBEPLANE_CONFIG: join(dir, "no-config") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<KpctlRun>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

describe("the kubelet's API through the apiserver", () => {
  test("logs: the whole log, the last N lines, timestamps, and the previous instance's log", async () => {
    assert.equal(await logs({ name: "web" }), "starting\nlistening on :8080\nGET /healthz 200\n");
    assert.equal(await logs({ name: "web", container: "app", tailLines: 1 }), "GET /healthz 200\n");
    assert.match(await logs({ name: "web", tailLines: 1, timestamps: true }), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z GET \/healthz 200\n$/);
    assert.equal(await logs({ name: "web", previous: true }), "crashed once\npanic: boom\n");
    assert.equal(await logs({ name: "multi", container: "b" }), "from b\n");
  });

  test("follow delivers a line appended after the call started; cancelling the client cancels the kubelet's stream", async () => {
    const cancelledBefore = cancelledLogStreams;
    let out = "";
    const stream = api.podLogs(apiserverV1.PodLogsRequest.fromPartial({ namespace: "default", name: "web", follow: true, tailLines: 1 }));
    stream.on("data", (c: kubeletV1.LogChunk) => (out += Buffer.from(c.data).toString()));
    const ended = new Promise<number>((resolve) => stream.on("error", (err: ServiceError) => resolve(err.code)));
    await waitFor(() => out === "GET /healthz 200\n" || undefined, { message: "the tail of the log" });
    await appendFile(webLog, cri("GET /orders 201"));
    await waitFor(() => out === "GET /healthz 200\nGET /orders 201\n" || undefined, { message: "the appended line" });
    stream.cancel();
    assert.equal(await ended, 1); // CANCELLED
    await waitFor(() => cancelledLogStreams === cancelledBefore + 1 || undefined, { message: "the kubelet's log stream cancelled" });
  });

  test("exec returns the command's stdout, stderr and exit code", async () => {
    const res = await exec({ name: "web", command: ["sh", "-c", "echo out; echo err >&2; exit 3"] });
    assert.deepEqual({ stdout: Buffer.from(res.stdout).toString(), stderr: Buffer.from(res.stderr).toString(), exitCode: res.exitCode }, { stdout: "out\n", stderr: "err\n", exitCode: 3 });
  });

  test("exec of a command that outlives its timeout is a Timeout", async () => {
    const err = await rejection(exec({ name: "web", command: ["sleep", "5"], timeoutSeconds: 1 }));
    assert.deepEqual([err.reason, err.message], ["Timeout", 'command "sleep 5" timed out after 1s']);
  });

  test("unknown pod is NotFound; unknown or unnamed container and unscheduled pod are BadRequest in Kubernetes' words", async () => {
    let err = await rejection(logs({ name: "nope" }));
    assert.equal(err.reason, "NotFound");
    assert.equal(err.message, 'pods "nope" not found');
    err = await rejection(logs({ name: "web", container: "sidecar" }));
    assert.deepEqual([err.reason, err.message], ["BadRequest", "container sidecar is not valid for pod web"]);
    err = await rejection(exec({ name: "multi", command: ["true"] }));
    assert.deepEqual([err.reason, err.message], ["BadRequest", "a container name must be specified for pod multi, choose one of: [a b]"]);
    err = await rejection(logs({ name: "pending" }));
    assert.deepEqual([err.reason, err.message], ["BadRequest", "pod pending does not have a host assigned"]);
    err = await rejection(exec({ name: "web", command: [] }));
    assert.equal(err.reason, "BadRequest");
  });

  test("a node whose kubelet cannot be reached gives ServiceUnavailable naming the node", async () => {
    const port = await freePort();
    await createNode("node-gone", port);
    await client.create(podsInfo, coreV1Pod.Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: { name: "orphan", namespace: "default" }, spec: { containers: [{ name: "app", image: "busybox" }] } }));
    await client.bind("default", "orphan", "node-gone");
    const err = await rejection(logs({ name: "orphan" }));
    assert.equal(err.reason, "ServiceUnavailable");
    assert.match(err.message, new RegExp(`^the kubelet of node "node-gone" at 127\\.0\\.0\\.1:${port} is unreachable`));
  });

  test("ListPods on the kubelet lists the pods it runs", async () => {
    const direct = new kubeletV1.KubeletServiceClient(kubeletAddress, grpcCredentials());
    try {
      const res = await new Promise<kubeletV1.ListPodsResponse>((resolve, reject) => direct.listPods({}, (err, r) => (err ? reject(err) : resolve(r!))));
      assert.deepEqual(res.pods.map((p) => p.metadata?.name).sort(), ["multi", "web"]);
    } finally {
      direct.close();
    }
  });

  test("node stats: the kubelet's Summary with CPU rates from two samples", async () => {
    const stats = (): Promise<kubeletV1.StatsResponse> =>
      new Promise((resolve, reject) => api.nodeStats({ name: NODE }, (err, res) => (err ? reject(apiErrorFromGrpc(err)) : resolve(res!))));
    await stats();
    const summary = await stats();
    assert.equal(summary.node?.nodeName, NODE);
    const web = summary.pods.find((p) => p.podRef?.name === "web");
    assert.equal(web?.cpu?.usageNanoCores, 250_000_000);
    assert.equal(web?.memory?.workingSetBytes, 64 * 1024 * 1024);
  });
});

describe("kpctl logs, exec and top", () => {
  test("kpctl logs --previous --tail, kpctl exec with the command's exit code, and an unknown container's error", async () => {
    const [tail, run, bad] = await Promise.all([
      kpctl(["logs", "web", "--previous", "--tail", "1"]).done,
      kpctl(["exec", "web", "--", "sh", "-c", "echo hi; exit 4"]).done,
      kpctl(["exec", "web", "-c", "nope", "--", "true"]).done,
    ]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, "panic: boom\n");
    assert.equal(run.stdout, "hi\n");
    assert.equal(run.stderr, "command terminated with exit code 4\n");
    assert.equal(run.code, 4);
    assert.equal(bad.stderr, "Error from server (BadRequest): container nope is not valid for pod web\n");
    assert.equal(bad.code, 1);
  });

  test("kpctl logs -f streams until Ctrl-C, which cancels the kubelet's stream", async () => {
    const cancelledBefore = cancelledLogStreams;
    const follow = kpctl(["logs", "-f", "web", "--tail", "1"]);
    await waitFor(() => follow.output().length > 0 || undefined, { timeoutMs: 20_000, message: "kpctl logs -f output" });
    await appendFile(webLog, cri("GET /cart 200"));
    await waitFor(() => follow.output().endsWith("GET /cart 200\n") || undefined, { message: "the appended line from kpctl" });
    follow.child.kill("SIGINT");
    const result = await follow.done;
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => cancelledLogStreams === cancelledBefore + 1 || undefined, { message: "the kubelet's log stream cancelled" });
  });

  test("kpctl top pods and nodes print kubectl's columns", async () => {
    const [podsTop, nodesTop] = await Promise.all([kpctl(["top", "pods"]).done, kpctl(["top", "nodes"]).done]);
    assert.equal(podsTop.code, 0, podsTop.stderr);
    const lines = podsTop.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
    assert.match(lines.find((l) => l.startsWith("web "))!, /^web\s+250m\s+64Mi$/);
    assert.equal(nodesTop.code, 0, nodesTop.stderr);
    const [header, nodeA, nodeGone] = nodesTop.stdout.trimEnd().split("\n");
    assert.match(header!, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)$/);
    assert.match(nodeA!, /^node-a\s+\d+m\s+\d+%\s+512Mi\s+25%$/);
    // A node whose kubelet does not answer has no NodeMetrics (metrics.k8s.io leaves it out): kubectl's <unknown> columns.
    assert.match(nodeGone!, /^node-gone(\s+<unknown>){4}$/);
  });
});
