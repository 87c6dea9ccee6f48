// Tests of `kpctl exec` against an in-process stand-in for the apiserver's pods/exec subresource on loopback.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { apiErrors, apiserverV1, toGrpcStatus, type kubeletV1 } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

let server: Server;
let address: string;
const requests: apiserverV1.PodExecRequest[] = [];

before(async () => {
  server = new Server();
  server.addService(apiserverV1.ApiServerServiceService, {
    podExec(call: ServerUnaryCall<apiserverV1.PodExecRequest, kubeletV1.ExecResponse>, callback: sendUnaryData<kubeletV1.ExecResponse>) {
      requests.push(call.request);
      if (!call.request.container) {
        callback(toGrpcStatus(apiErrors.badRequest("a container name must be specified for pod multi, choose one of: [a b]")), null);
        return;
      }
      callback(null, { stdout: Buffer.from(`ran ${call.request.command.join(" ")}\n`), stderr: Buffer.from("warning\n"), exitCode: call.request.command.length });
    },
  } as Partial<apiserverV1.ApiServerServiceServer> as apiserverV1.ApiServerServiceServer);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});
after(() => {
  server.forceShutdown();
});

test("exec passes everything after -- as the command, prints stdout and stderr, and exits with the command's code", async () => {
  const io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  const code = await run(["exec", "-s", address, "web", "-n", "prod", "-c", "app", "--", "ls", "-l", "/"], io);
  assert.equal(code, 3);
  assert.equal(io.stdout.text, "ran ls -l /\n");
  assert.equal(io.stderr.text, "warning\ncommand terminated with exit code 3\n");
  assert.deepEqual(requests.at(-1), { namespace: "prod", name: "web", container: "app", command: ["ls", "-l", "/"], timeoutSeconds: 0 });
});

test("exec reports the server's Status and needs a pod and a command", async () => {
  let io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  assert.equal(await run(["exec", "-s", address, "multi", "--", "true"], io), 1);
  assert.equal(io.stderr.text, "Error from server (BadRequest): a container name must be specified for pod multi, choose one of: [a b]\n");
  io = fakeIo(new FakeApi(), { connect: (opts) => ApiClient.connect(opts) });
  assert.equal(await run(["exec", "-s", address, "web"], io), 1);
  assert.match(io.stderr.text, /^error: a pod name and a command are required/);
});
