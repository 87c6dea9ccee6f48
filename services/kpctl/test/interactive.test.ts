// kpctl exec -i/-t, port-forward and cp end to end: kpctl → apiserver (pods/exec, pods/portforward) → kubelet → containerd's CRI streaming server (SPDY), on a real node inside a network namespace of the test's own.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { coreV1Pod, coreV1Service, kindFor, kubeletV1, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, enterTestNetns, grpcCredentials, httpGet, kpctlTlsFlags, nodeEntryArgs, runKpctl, serviceEntry, startControlPlane, startNodeStack, waitFor, type ControlPlane, type NodeStack } from "@kubeplane/testing";

await enterTestNetns(import.meta.url);

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const services = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const NODE = "node-stream";
const execFileAsync = promisify(execFile);

/** kpctl as a child process with its stdin and output at hand (the command line quoted for `script`). */
function kpctlArgv(server: string, args: readonly string[]): string[] {
  return [process.execPath, ...nodeEntryArgs(serviceEntry("kpctl")), `--server=${server}`, ...kpctlTlsFlags(), ...args];
}

interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number>;
}

const children = new Set<ChildProcess>();

function start(argv: readonly string[]): Child {
  const proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, KUBEPLANE_CONFIG: "/nonexistent/kubeplane-test-config" }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  proc.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  children.add(proc);
  const exited = new Promise<number>((resolve) => proc.on("exit", (code, signal) => {
    children.delete(proc);
    resolve(code ?? (signal ? 128 : -1));
  }));
  return { proc, output: () => out, exited };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe("interactive exec, port-forward and cp through the apiserver and the kubelet's CRI streaming", { timeout: 180_000 }, () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let client: ApiClient;
  let dir = "";
  const server = (): string => cp!.apiserver.grpcAddress;
  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(server(), args, { timeoutMs: 60_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-interactive-"));
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: server() });
    node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.31.0/24", kubeletFlags: { "sync-frequency": "2s" } });
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "web", namespace: "default", labels: { app: "web" } },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 0,
        containers: [{
          name: "c",
          image: "docker.io/library/busybox:1.36",
          // httpd in the background; the main process answers its stdin (for attach).
          command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -p 8080 -h /www && while read line; do echo got $line; done"],
          stdin: true,
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        }],
      },
    }));
    await waitFor(async () => ((await client.get(pods, "default", "web")) as coreV1Pod.Pod).status?.phase === "Running", { timeoutMs: 60_000, message: "pod web Running" });
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    client?.close();
    await node?.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exec -it runs a shell in a pseudo-terminal: typed input is echoed and run, the remote exit code is kpctl's", async () => {
    // `script` gives kpctl a pty as stdin and stdout; -e returns kpctl's exit code.
    const command = kpctlArgv(server(), ["exec", "-it", "web", "--", "sh"]).map(shellQuote).join(" ");
    const child = start(["script", "-qfec", command, "/dev/null"]);
    await waitFor(() => child.output().includes("# "), { timeoutMs: 20_000, message: "the remote shell's prompt" }).catch((err: Error) => {
      throw new Error(`${err.message}; output so far: ${child.output()}`);
    });
    child.proc.stdin!.write("tty; echo hi; exit 3\r");
    const code = await child.exited;
    const out = child.output();
    assert.equal(code, 3, out);
    assert.match(out, /\/dev\/pts\/\d+/, "the command's stdin is a terminal");
    assert.match(out, /^hi\r?$/m, out);
    assert.match(out, /command terminated with exit code 3/);
  });

  it("exec -it gives the remote terminal kpctl's window size and follows its resizes (SIGWINCH)", async () => {
    // tmux holds the terminal here: its window is kpctl's terminal, resize-window sends it SIGWINCH.
    const tmux = (...args: string[]): Promise<string> => execFileAsync("tmux", ["-L", `kp-test-${process.pid}`, ...args]).then((r) => r.stdout);
    const command = kpctlArgv(server(), ["exec", "-it", "web", "--", "sh"]).map(shellQuote).join(" ");
    await tmux("new-session", "-d", "-s", "exec", "-x", "100", "-y", "30", `${command}; sleep 60`);
    try {
      const screen = (): Promise<string> => tmux("capture-pane", "-p", "-t", "exec");
      // capture-pane drops trailing blanks: the prompt shows as "/ #".
      await waitFor(async () => (await screen()).includes("/ #"), { timeoutMs: 20_000, message: "the remote shell's prompt" }).catch(async (err: Error) => {
        throw new Error(`${err.message}; screen: ${await screen()}`);
      });
      await tmux("send-keys", "-t", "exec", "stty size", "Enter");
      await waitFor(async () => /^30 100$/m.test(await screen()), { timeoutMs: 10_000, message: "stty size 30 100" }).catch(async (err: Error) => {
        throw new Error(`${err.message}; screen: ${await screen()}`);
      });
      await tmux("resize-window", "-t", "exec", "-x", "120", "-y", "40");
      await tmux("send-keys", "-t", "exec", "stty size", "Enter");
      await waitFor(async () => /^40 120$/m.test(await screen()), { timeoutMs: 10_000, message: "stty size 40 120 after the resize" }).catch(async (err: Error) => {
        throw new Error(`${err.message}; screen: ${await screen()}`);
      });
    } finally {
      await tmux("kill-server").catch(() => undefined);
    }
  });

  it("exec -i passes piped stdin to the command and ends it with the pipe's EOF", async () => {
    const child = start(kpctlArgv(server(), ["exec", "-i", "web", "--", "sh", "-c", "cat; echo done >&2"]));
    child.proc.stdin!.end("abc\n");
    assert.equal(await child.exited, 0, child.output());
    assert.equal(child.output(), "abc\ndone\n");
  });

  it("attach -i relays stdin to the container's main process and its output back", async () => {
    const child = start(kpctlArgv(server(), ["attach", "-i", "web"]));
    try {
      child.proc.stdin!.write("ping\n");
      await waitFor(() => child.output().includes("got ping"), { timeoutMs: 20_000, message: "the main process's answer" }).catch((err: Error) => {
        throw new Error(`${err.message}; output: ${child.output()}`);
      });
    } finally {
      child.proc.kill("SIGINT");
      await child.exited;
    }
  });

  it("port-forward serves the pod's port on localhost, for several connections, also through a Service", async () => {
    await client.create(services, coreV1Service.Service.fromPartial({
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    }));
    for (const [target, spec, remote] of [["web", "0:8080", 8080], ["svc/web", ":80", 8080]] as const) {
      const child = start(kpctlArgv(server(), ["port-forward", target, spec]));
      try {
        const port = await waitFor(() => new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}`).exec(child.output())?.[1], { timeoutMs: 20_000, message: `kpctl port-forward ${target} listening` }).catch((err: Error) => {
          throw new Error(`${err.message}; output: ${child.output()}`);
        });
        const bodies = await Promise.all([1, 2, 3].map(() => httpGet(`http://127.0.0.1:${port}/index.html`, 10_000)));
        assert.deepEqual(bodies, ["hello-from-pod\n", "hello-from-pod\n", "hello-from-pod\n"]);
        assert.equal((child.output().match(/Handling connection for/g) ?? []).length, 3);
      } finally {
        child.proc.kill("SIGINT");
        await child.exited;
      }
    }
  });

  it("cp copies a directory into the container and a file and the directory back, byte for byte", async () => {
    const data = randomBytes(300_000);
    await mkdir(join(dir, "tree", "sub"), { recursive: true });
    await writeFile(join(dir, "tree", "data.bin"), data);
    await writeFile(join(dir, "tree", "sub", "b.txt"), "beta\n");
    const into = await kpctl("cp", join(dir, "tree"), "web:/tmp/tree");
    assert.equal(into.code, 0, into.stderr);
    const file = await kpctl("cp", "default/web:/tmp/tree/data.bin", join(dir, "back.bin"));
    assert.equal(file.code, 0, file.stderr);
    assert.ok((await readFile(join(dir, "back.bin"))).equals(data), "the file came back unchanged");
    const tree = await kpctl("cp", "web:/tmp/tree", join(dir, "tree-back"));
    assert.equal(tree.code, 0, tree.stderr);
    assert.ok((await readFile(join(dir, "tree-back", "data.bin"))).equals(data));
    assert.equal(await readFile(join(dir, "tree-back", "sub", "b.txt"), "utf8"), "beta\n");
    const missing = await kpctl("cp", "web:/nope", join(dir, "nope"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such file or directory/);
  });

  it("a user without create on pods/exec is Forbidden, and the kubelet streams to the apiserver alone", async () => {
    const exec = start(kpctlArgv(server(), ["--as=mallory", "exec", "-i", "web", "--", "cat"]));
    exec.proc.stdin!.end("secret\n");
    assert.equal(await exec.exited, 1);
    assert.match(exec.output(), /Error from server \(Forbidden\): pods "web" is forbidden: User "mallory" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
    // The kubelet serves its streaming API to the apiserver alone, not to any other certificate of the cluster CA.
    const n = (await client.get(nodes, "", NODE)) as coreV1Node.Node;
    const kubelet = new kubeletV1.KubeletServiceClient(`127.0.0.1:${n.status!.daemonEndpoints!.kubeletEndpoint!.port}`, grpcCredentials("admin"));
    try {
      const call = kubelet.execStream();
      call.on("data", () => undefined);
      const refused = new Promise<ServiceError>((resolve) => call.on("error", resolve));
      call.write({ start: { namespace: "default", pod: "web", container: "", command: ["cat"], stdin: true, stdout: true, stderr: false, tty: false }, stdin: Buffer.alloc(0) });
      assert.equal((await refused).code, GrpcStatus.PERMISSION_DENIED);
    } finally {
      kubelet.close();
    }
  });
});
