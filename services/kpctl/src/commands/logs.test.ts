// Tests of `kpctl logs` against an in-process stand-in for the apiserver's pods/log subresource on loopback.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Server, ServerCredentials, type ServerWritableStream } from "@grpc/grpc-js";
import { apiErrors, apiserverV1, toGrpcStatus, type kubeletV1 } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { ApiClient } from "@kubeplane/client";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

let server: Server;
let address: string;
const requests: apiserverV1.PodLogsRequest[] = [];
let cancelled = 0;

before(async () => {
  server = new Server();
  server.addService(apiserverV1.ApiServerServiceService, {
    podLogs(call: ServerWritableStream<apiserverV1.PodLogsRequest, kubeletV1.LogChunk>) {
      requests.push(call.request);
      if (call.request.name === "nope") {
        call.emit("error", toGrpcStatus(apiErrors.notFound({ resource: "pods", name: "nope" })));
        return;
      }
      call.write({ data: Buffer.from("line one\n") });
      // Following: stay open until the client cancels, as a kubelet does while the container runs.
      if (call.request.follow) call.on("cancelled", () => cancelled++);
      else call.end();
    },
  } as Partial<apiserverV1.ApiServerServiceServer> as apiserverV1.ApiServerServiceServer);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});
after(() => {
  server.forceShutdown();
});

test("logs sends kubectl's options and prints the stream", async () => {
  const io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  const code = await run(["logs", "pod/web", "-n", "prod", "-c", "app", "--tail", "20", "--since", "90s", "--timestamps", "-p", "--limit-bytes", "100", "-s", address], io);
  assert.equal(code, 0, io.stderr.text);
  assert.equal(io.stdout.text, "line one\n");
  assert.deepEqual(requests.at(-1), {
    namespace: "prod",
    name: "web",
    container: "app",
    follow: false,
    tailLines: 20,
    sinceSeconds: 90,
    sinceTime: "",
    previous: true,
    timestamps: true,
    limitBytes: 100,
  });
  assert.equal(await run(["logs", "web", "-s", address], io), 0);
  assert.equal(requests.at(-1)?.tailLines, undefined, "--tail -1 (the default) asks for every line");
});

test("logs -f streams until the signal aborts, and cancels the call", async () => {
  const controller = new AbortController();
  const io = fakeIo(new FakeApi(), { signal: controller.signal, connect: (opts) => ApiClient.connect(opts) });
  const running = run(["logs", "-f", "web", "-s", address], io);
  await waitFor(() => io.stdout.text === "line one\n" || undefined);
  controller.abort();
  assert.equal(await running, 0);
  await waitFor(() => cancelled === 1 || undefined, { message: "the server saw the cancellation" });
});

test("logs reports the server's Status and refuses bad flags", async () => {
  let io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  assert.equal(await run(["logs", "nope", "-s", address], io), 1);
  assert.equal(io.stderr.text, 'Error from server (NotFound): pods "nope" not found\n');
  io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  assert.equal(await run(["logs", "web", "--since", "5m", "--since-time", "2026-01-01T00:00:00Z", "-s", address], io), 1);
  assert.match(io.stderr.text, /^error: at most one of --since and --since-time may be specified\n/);
  io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  assert.equal(await run(["logs", "-s", address], io), 1);
  assert.match(io.stderr.text, /^error: expected exactly one pod name/);
});
