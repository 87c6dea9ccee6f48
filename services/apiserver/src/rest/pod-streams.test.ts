// The exec/attach upgrade's subprotocol choice and query parsing (PodExecOptions).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "@kubeplane/api";
import { negotiateChannelProtocol, remoteCommandStart } from "./pod-streams.js";
import { requestInfo } from "./request-info.js";

test("the first channel subprotocol the client offers that we speak is chosen; base64 and SPDY are not", () => {
  assert.equal(negotiateChannelProtocol("v5.channel.k8s.io"), "v5.channel.k8s.io");
  assert.equal(negotiateChannelProtocol("v4.channel.k8s.io, v5.channel.k8s.io"), "v4.channel.k8s.io");
  assert.equal(negotiateChannelProtocol("base64.channel.k8s.io,v4.channel.k8s.io"), "v4.channel.k8s.io");
  assert.equal(negotiateChannelProtocol("base64.channel.k8s.io"), undefined);
  assert.equal(negotiateChannelProtocol(undefined), undefined);
});

test("exec options: repeated command, stdout and stderr on by default, bad input is a Status", () => {
  const exec = (query: string) => remoteCommandStart(requestInfo("GET", "/api/v1/namespaces/team/pods/web/exec", new URLSearchParams(query)), new URLSearchParams(query));
  assert.deepEqual(exec("command=sh&command=-c&command=exit%203&stdin=true&container=c"), {
    namespace: "team", pod: "web", container: "c", command: ["sh", "-c", "exit 3"], stdin: true, stdout: true, stderr: true, tty: false,
  });
  assert.throws(() => exec("stdin=true"), (err: unknown) => err instanceof ApiError && err.reason === "Invalid" && err.status.details?.causes[0]?.field === "command");
  assert.throws(() => exec("command=ls&tty=maybe"), (err: unknown) => err instanceof ApiError && err.reason === "BadRequest" && /tty/.test(err.message));
  assert.throws(() => exec("command=ls&stdout=false&stderr=false"), (err: unknown) => err instanceof ApiError && err.reason === "BadRequest");
  const attach = remoteCommandStart(requestInfo("POST", "/api/v1/namespaces/team/pods/web/attach", new URLSearchParams()), new URLSearchParams("stdin=1&tty=1"));
  assert.deepEqual(attach.command, []);
  assert.equal(attach.tty, true);
});
