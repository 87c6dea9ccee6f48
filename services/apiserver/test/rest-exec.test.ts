// kubectl exec, attach (WebSocket v5.channel.k8s.io) and port-forward (SPDY in a WebSocket, or SPDY) through the REST API → the apiserver's relays → kubelet → containerd, on a real node in a network namespace of the test's own.
import assert from "node:assert/strict";
import { request } from "node:https";
import { once } from "node:events";
import { connect as tlsConnect } from "node:tls";
import { get as httpGet } from "node:http";
import { after, before, describe, it } from "node:test";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { SpdyConnection, type SpdyStream } from "@kubeplane/spdy";
import { clientTls, enterTestNetns, freePort, serviceEntry, startControlPlane, startServiceProcess, testPki, startNodeStack, waitFor, type ControlPlane, type NodeStack, type ServiceProcess } from "@kubeplane/testing";
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

describe("kubectl exec, attach and port-forward over the REST API's upgrades", { timeout: 360_000 }, () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let controllers: ServiceProcess | undefined;
  let client: ApiClient;
  let restUrl = "";
  let kubeconfig: { path: string; dir: string };

  before(async () => {
    const port = await freePort();
    restUrl = `https://127.0.0.1:${port}`;
    // metrics.k8s.io's CPU rate needs two kubelet samples: a short resolution makes `top` answer soon.
    cp = await startControlPlane({ apiserverFlags: { "rest-listen": `127.0.0.1:${port}`, "metric-resolution": "2s" } });
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    kubeconfig = writeKubeconfig(restUrl);
    // A user no binding names: authenticated, allowed nothing.
    await (await testPki()).pki.issue({ name: "rest-exec-stranger", commonName: "stranger", organizations: [], usages: ["client"] });
    node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.33.0/24", kubeletFlags: { "sync-frequency": "2s" } });
    // The Deployment and ReplicaSet controllers, for kubectl rollout and wait (the Deployment's pods name the node: no scheduler).
    controllers = await startServiceProcess({
      entry: serviceEntry("controller-manager"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "leader-elect": "false", controllers: "deployment,replicaset" },
    });
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "box", namespace: "default" },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 0,
        // httpd in the background (for port-forward); the main process answers its stdin (for attach).
        containers: [{ name: "c", image: "docker.io/library/busybox:1.36", command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -p 8080 -h /www && while read line; do echo got $line; done"], stdin: true }],
      },
    }));
    await waitFor(async () => ((await client.get(pods, "default", "box")) as coreV1Pod.Pod).status?.phase === "Running", { timeoutMs: 120_000, message: "pod box Running" });
  });

  after(async () => {
    client?.close();
    await controllers?.kill();
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

  /** GET / through a forwarded local port, on a connection of its own. */
  const fetchThrough = (port: number): Promise<string> =>
    new Promise((resolve, reject) => {
      httpGet({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve(`${res.statusCode} ${body}`));
      }).on("error", reject);
    });

  /** Starts kubectl port-forward TARGET :REMOTE and resolves with it and the local port it listens on. */
  const portForward = async (remote: number, env: Record<string, string> = {}, target = "pod/box", flags: string[] = []) => {
    const pf = kubectlStream(kubeconfig, ["port-forward", ...flags, target, `:${remote}`], env);
    const exited = new Promise<number | null>((resolve) => pf.child.on("exit", (code) => resolve(code)));
    const port = await waitFor(() => new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}`).exec(pf.output())?.[1], { timeoutMs: 30_000, message: `kubectl port-forward listening (${pf.output()})` });
    return { pf, exited, port: Number(port) };
  };

  it("kubectl port-forward (SPDY tunnelled in a WebSocket) serves the pod's port: 3 concurrent HTTP connections, then Ctrl-C ends it with exit 0", async () => {
    // -v=4 logs the dialer's steps: the WebSocket negotiation, and a fallback to SPDY if there was one.
    const { pf, exited, port } = await portForward(8080, {}, "pod/box", ["-v=4"]);
    try {
      assert.match(pf.output(), /negotiated protocol: portforward\.k8s\.io/);
      assert.doesNotMatch(pf.output(), /fallback/i);
      const answers = await Promise.all([1, 2, 3].map(() => fetchThrough(port)));
      assert.deepEqual(answers, ["200 hello-from-pod\n", "200 hello-from-pod\n", "200 hello-from-pod\n"]);
      // A second round on the same kubectl: each connection has its own pair of streams.
      assert.equal(await fetchThrough(port), "200 hello-from-pod\n");
      assert.equal((pf.output().match(/Handling connection for/g) ?? []).length, 4, pf.output());
      pf.child.kill("SIGINT");
      assert.equal(await exited, 0, pf.output());
    } finally {
      pf.child.kill("SIGKILL");
    }
  });

  it("kubectl port-forward falls back to a plain SPDY upgrade, and a port nothing listens on is reported on the error stream", async () => {
    const spdy = await portForward(8080, { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }, "pod/box", ["-v=4"]);
    try {
      assert.doesNotMatch(spdy.pf.output(), /WebSocket/);
      assert.equal(await fetchThrough(spdy.port), "200 hello-from-pod\n");
      spdy.pf.child.kill("SIGINT");
      assert.equal(await spdy.exited, 0, spdy.pf.output());
    } finally {
      spdy.pf.child.kill("SIGKILL");
    }
    const closed = await portForward(9999);
    try {
      await assert.rejects(fetchThrough(closed.port));
      // kubectl prints the error stream's text and ends the forwarding.
      await waitFor(() => /error forwarding port 9999/.test(closed.pf.output()), { timeoutMs: 30_000, message: `kubectl reports the refused port (${closed.pf.output()})` });
    } finally {
      closed.pf.child.kill("SIGKILL");
    }
  });

  it("a raw SPDY client (libs/spdy over the TLS upgrade) forwards to the pod; a bad port header is reported on the error stream", async () => {
    const tls = clientTls("admin");
    const socket = tlsConnect({ host: "127.0.0.1", port: Number(new URL(restUrl).port), ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
    await once(socket, "secureConnect");
    socket.write("POST /api/v1/namespaces/default/pods/box/portforward HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n");
    let received = Buffer.alloc(0);
    while (!received.includes("\r\n\r\n")) received = Buffer.concat([received, (await once(socket, "data"))[0] as Buffer]);
    socket.pause();
    const end = received.indexOf("\r\n\r\n") + 4;
    const head = received.subarray(0, end).toString("latin1");
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /^X-Stream-Protocol-Version: portforward\.k8s\.io\r$/im);
    const conn = new SpdyConnection(socket, { role: "client", head: received.subarray(end) });
    socket.resume();
    const readAll = async (stream: SpdyStream): Promise<string> => {
      let text = "";
      for await (const c of stream) text += (c as Buffer).toString("utf8");
      return text;
    };
    try {
      const error = conn.openStream({ streamType: "error", port: "8080", requestID: "0" });
      error.end();
      const data = conn.openStream({ streamType: "data", port: "8080", requestID: "0" });
      data.end("GET / HTTP/1.0\r\n\r\n");
      const [answer, failure] = await Promise.all([readAll(data), readAll(error)]);
      assert.match(answer, /^HTTP\/1\.[01] 200 /);
      assert.match(answer, /\r\n\r\nhello-from-pod\n$/);
      assert.equal(failure, "");
      const badError = conn.openStream({ streamType: "error", port: "0", requestID: "1" });
      badError.end();
      conn.openStream({ streamType: "data", port: "0", requestID: "1" }).resume();
      assert.match(await readAll(badError), /invalid port header "0"/);
    } finally {
      conn.close();
    }
  });

  it("kubectl cp copies a file into the container and back, byte for byte (tar over exec)", async () => {
    const data = randomBytes(300 * 1024);
    const local = join(kubeconfig.dir, "in.bin");
    writeFileSync(local, data);
    const up = await kubectl(kubeconfig, ["cp", local, "box:/tmp/in.bin", "-c", "c"], undefined, {}, 60_000);
    assert.equal(up.code, 0, up.stderr);
    const sum = await kubectl(kubeconfig, ["exec", "box", "--", "sha256sum", "/tmp/in.bin"]);
    assert.equal(sum.stdout.split(" ")[0], createHash("sha256").update(data).digest("hex"));
    const back = join(kubeconfig.dir, "out.bin");
    const down = await kubectl(kubeconfig, ["cp", "box:/tmp/in.bin", back, "-c", "c"], undefined, {}, 60_000);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(readFileSync(back).equals(data), "the copy out of the pod is byte-identical");
  });

  it("kubectl logs -f sees a line written after it started and ends when the container ends", async () => {
    // Says what appears in /tmp/say, until /tmp/stop exists; then the container (restartPolicy Never) ends.
    const script = 'echo start; while [ ! -f /tmp/stop ]; do if [ -f /tmp/say ]; then cat /tmp/say; rm /tmp/say; fi; sleep 0.2; done; echo bye';
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name: "talker", namespace: "default" },
      spec: { nodeName: NODE, restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "docker.io/library/busybox:1.36", command: ["sh", "-c", script] }] },
    }));
    await waitFor(async () => ((await client.get(pods, "default", "talker")) as coreV1Pod.Pod).status?.phase === "Running", { timeoutMs: 120_000, message: "pod talker Running" });
    const logs = kubectlStream(kubeconfig, ["logs", "-f", "talker"]);
    const exited = new Promise<number | null>((resolve) => logs.child.on("exit", (code) => resolve(code)));
    try {
      await waitFor(() => logs.output().includes("start\n"), { timeoutMs: 20_000, message: "logs -f prints the first line" });
      const said = await kubectl(kubeconfig, ["exec", "talker", "--", "sh", "-c", "echo said-later > /tmp/say"]);
      assert.equal(said.code, 0, said.stderr);
      await waitFor(() => logs.output().includes("said-later\n"), { timeoutMs: 20_000, message: `logs -f follows a new line (${logs.output()})` });
      assert.equal((await kubectl(kubeconfig, ["exec", "talker", "--", "touch", "/tmp/stop"])).code, 0);
      assert.equal(await exited, 0, logs.output());
      assert.equal(logs.output(), "start\nsaid-later\nbye\n");
    } finally {
      logs.child.kill("SIGKILL");
    }
  });

  it("kubectl rollout status|history|undo|restart, wait --for=condition=Available, edit and port-forward deploy/NAME drive a real Deployment", async () => {
    const run = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
      const r = await kubectl(kubeconfig, args, undefined, env, 150_000);
      assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    const rolledOut = async (): Promise<void> => assert.match(await run(["rollout", "status", "deploy/roll", "--timeout=120s"]), /deployment "roll" successfully rolled out/);
    const deployment = {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "roll", namespace: "default" },
      spec: {
        replicas: 1, selector: { matchLabels: { app: "roll" } },
        template: { metadata: { labels: { app: "roll" } }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "docker.io/library/busybox:1.36", command: ["sh", "-c", "mkdir -p /www && echo hello-from-roll > /www/index.html && exec httpd -f -p 8080 -h /www"] }] } },
      },
    };
    const get = (path: string): Promise<string> => run(["get", "deploy", "roll", "-o", `jsonpath=${path}`]);
    const applied = await kubectl(kubeconfig, ["apply", "-f", "-"], JSON.stringify(deployment));
    assert.equal(applied.code, 0, applied.stderr);
    await rolledOut();
    // Available comes from the Deployment controller, once the kubelet reports the pod ready.
    assert.match(await run(["wait", "--for=condition=Available", "deploy/roll", "--timeout=60s"]), /deployment\.apps\/roll condition met/);

    // Revision 2: a changed template.
    await run(["set", "env", "deploy/roll", "MODE=two"]);
    await rolledOut();
    assert.equal(await get("{.spec.template.spec.containers[0].env[0].value}"), "two");
    assert.match(await run(["rollout", "history", "deploy/roll"]), /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m);

    // Undo: revision 1's template comes back (as revision 3).
    assert.match(await run(["rollout", "undo", "deploy/roll"]), /deployment\.apps\/roll rolled back/);
    await rolledOut();
    assert.equal(await get("{.spec.template.spec.containers[0].env}"), "");
    assert.match(await run(["rollout", "history", "deploy/roll"]), /^2\s+<none>\n3\s+<none>\n/m);
    assert.equal(await get("{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"), "3");

    // Restart: a new ReplicaSet and new pods, same spec otherwise.
    await run(["rollout", "restart", "deploy/roll"]);
    await rolledOut();
    assert.ok(await get("{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}"));
    assert.match(await run(["rollout", "history", "deploy/roll"]), /^4\s+<none>\n/m);

    // edit through a scripted editor: 2 replicas, both ready once the rollout is done.
    await run(["edit", "deploy/roll"], { KUBE_EDITOR: "sed -i s/^\\ \\ replicas:\\ 1$/\\ \\ replicas:\\ 2/" });
    assert.equal(await get("{.spec.replicas}"), "2");
    await rolledOut();
    assert.equal(await get("{.status.readyReplicas}"), "2");

    // port-forward to a Deployment: kubectl picks one of its running pods (the README's form).
    const pf = await portForward(8080, {}, "deploy/roll");
    try {
      assert.equal(await fetchThrough(pf.port), "200 hello-from-roll\n");
    } finally {
      pf.pf.child.kill("SIGKILL");
    }
  });

  it("kubectl top pods shows the pods' usage (metrics.k8s.io) and describe pod their node, state and events", async () => {
    const top = await waitFor(async () => {
      const r = await kubectl(kubeconfig, ["top", "pods", "box"]);
      return r.code === 0 && /^box\s+\d+m\s+\d+Mi\s*$/m.test(r.stdout) ? r.stdout : undefined;
    }, { timeoutMs: 60_000, message: "kubectl top pods box shows CPU and memory" });
    assert.match(top, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const described = await kubectl(kubeconfig, ["describe", "pod", "box"]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`^Node:\\s+${NODE}/`, "m"));
    assert.match(described.stdout, /^Status:\s+Running$/m);
    assert.match(described.stdout, /^\s+State:\s+Running$/m);
    assert.match(described.stdout, /^\s+Image:\s+docker\.io\/library\/busybox:1\.36$/m);
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
