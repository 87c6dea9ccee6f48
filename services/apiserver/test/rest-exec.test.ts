// kubectl exec and attach through the REST API's WebSocket upgrade (v5.channel.k8s.io) → the apiserver's exec relay → kubelet → containerd, on a real node in a network namespace of the test's own.
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, enterTestNetns, freePort, startControlPlane, testPki, startNodeStack, waitFor, type ControlPlane, type NodeStack } from "@kubeplane/testing";
import { WebSocket } from "ws";
import { kubectl, kubectlStream, writeKubeconfig } from "./rest-support.js";

await enterTestNetns(import.meta.url);

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const NODE = "node-rest-exec";
const execFileAsync = promisify(execFile);

/** A raw upgrade request: the HTTP status and body the apiserver answers instead of switching protocols. */
function refusedUpgrade(url: string, identity: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const tls = clientTls(identity);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), headers: { Connection: "Upgrade", ...headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("upgrade", (res) => reject(new Error(`unexpected upgrade (${res.statusCode})`)));
    req.on("error", reject);
    req.end();
  });
}

describe("kubectl exec and attach over the REST API's WebSocket channel protocol", { timeout: 120_000 }, () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let client: ApiClient;
  let restUrl = "";
  let kubeconfig: { path: string; dir: string };

  before(async () => {
    const port = await freePort();
    restUrl = `https://127.0.0.1:${port}`;
    cp = await startControlPlane({ apiserverFlags: { "rest-listen": `127.0.0.1:${port}` } });
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    kubeconfig = writeKubeconfig(restUrl);
    // A user no binding names: authenticated, allowed nothing.
    await (await testPki()).pki.issue({ name: "rest-exec-stranger", commonName: "stranger", organizations: [], usages: ["client"] });
    node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.33.0/24", kubeletFlags: { "sync-frequency": "2s" } });
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "box", namespace: "default" },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 0,
        // The main process answers its stdin (for attach).
        containers: [{ name: "c", image: "docker.io/library/busybox:1.36", command: ["sh", "-c", "while read line; do echo got $line; done"], stdin: true }],
      },
    }));
    await waitFor(async () => ((await client.get(pods, "default", "box")) as coreV1Pod.Pod).status?.phase === "Running", { timeoutMs: 60_000, message: "pod box Running" });
  });

  after(async () => {
    client?.close();
    await node?.stop();
    await cp?.stop();
  });

  it("kubectl exec prints the command's output, exits with its exit code, and streams stdin until it closes", async () => {
    const hi = await kubectl(kubeconfig, ["exec", "box", "--", "echo", "hi"]);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, "hi\n");

    const three = await kubectl(kubeconfig, ["exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.equal(three.code, 3, `${three.stdout}${three.stderr}`);
    assert.equal(three.stdout, "out\n");
    assert.match(three.stderr, /^err\n/);

    const cat = await kubectl(kubeconfig, ["exec", "-i", "box", "--", "cat"], "abc\n");
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, "abc\n");
  });

  it("kubectl exec -it gives a terminal of the client's size (resize on channel 4)", async () => {
    // `script` gives kubectl a pty; its size is set first, and kubectl sends it as the terminal's size.
    // kubectl sends the size right after the streams open, as upstream; the container polls (deadline 5 s) until it has landed.
    const POLL_SIZE = 'for i in $(seq 50); do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; done; echo "size $s"';
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const line = ["kubectl", `--kubeconfig=${kubeconfig.path}`, `--cache-dir=${join(kubeconfig.dir, "cache")}`, "exec", "-it", "box", "--", "sh", "-c", POLL_SIZE].map(quote).join(" ");
    const { stdout } = await execFileAsync("script", ["-qec", `stty cols 91 rows 17; ${line}`, "/dev/null"], { env: { ...process.env, HOME: kubeconfig.dir }, timeout: 20_000 });
    assert.match(stdout, /size 17 91/);
  });

  it("kubectl attach -i reaches the container's main process", async () => {
    // stdin stays open until the answer is back: closing it ends the attach, which may beat the container's reply.
    const attached = kubectlStream(kubeconfig, ["attach", "-i", "box", "-c", "c"]);
    const exited = new Promise<number>((resolve) => attached.child.on("exit", (code) => resolve(code ?? -1)));
    try {
      attached.child.stdin!.write("ping\n");
      await waitFor(() => /got ping/.test(attached.output()), { timeoutMs: 15_000, message: "attach relays the container's answer" });
      attached.child.stdin!.end();
      assert.equal(await exited, 0, attached.output());
    } finally {
      attached.child.kill("SIGKILL");
    }
  });

  it("exec is authorized as create on pods/exec, and a request that is not a WebSocket upgrade gets a Status", async () => {
    const path = "/api/v1/namespaces/default/pods/box/exec?command=true&stdout=true";
    // An anonymous or unprivileged user must not get a shell: refused before the upgrade.
    const stranger = await refusedUpgrade(`${restUrl}${path}`, "rest-exec-stranger", { Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "v5.channel.k8s.io" });
    assert.equal(stranger.status, 403, stranger.body);
    assert.match(JSON.parse(stranger.body).message as string, /User "stranger" cannot create resource "pods\/exec"/);
    // SPDY (kubectl before 1.30, or its fallback) is refused with a Status kubectl prints.
    const spdy = await refusedUpgrade(`${restUrl}${path}`, "admin", { Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" });
    assert.equal(spdy.status, 400, spdy.body);
    assert.equal(JSON.parse(spdy.body).reason, "BadRequest");
    // v4 is spoken too; the relay's failure (here: no such pod) is the last message, a Failure Status on channel 3.
    const tls = clientTls("admin");
    const ws = new WebSocket(`${restUrl.replace(/^https/, "wss")}/api/v1/namespaces/default/pods/nope/exec?command=true`, ["v4.channel.k8s.io"], { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
    const messages: Buffer[] = [];
    ws.on("message", (data: Buffer) => messages.push(data));
    const closed = new Promise<number>((resolve, reject) => {
      ws.on("close", (code) => resolve(code));
      ws.on("error", reject);
    });
    assert.equal(await closed, 1000);
    assert.equal(ws.protocol, "v4.channel.k8s.io");
    const last = messages.at(-1)!;
    assert.equal(last[0], 3);
    const status = JSON.parse(last.subarray(1).toString("utf8")) as { status: string; reason: string; message: string };
    assert.deepEqual([status.status, status.reason], ["Failure", "NotFound"]);
    assert.match(status.message, /pods "nope" not found/);
    // A WebSocket without a channel subprotocol this server speaks.
    const base64 = await refusedUpgrade(`${restUrl}${path}`, "admin", { Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "base64.channel.k8s.io" });
    assert.equal(base64.status, 400, base64.body);
    assert.match(JSON.parse(base64.body).message as string, /v5\.channel\.k8s\.io/);
  });
});
