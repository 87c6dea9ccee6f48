// Tests of `kpctl wait` over the fake apiserver's watch: conditions, JSONPath values, deletion, timeouts, --for parsing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import { check, parseWaitFor } from "./wait.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
const pods = kindFor("v1", "Pod") as KindInfo;
const deployment = (conditions: unknown[]): Record<string, unknown> => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, status: { conditions } });

describe("kpctl wait", () => {
  it("returns at once when the condition already holds", async () => {
    const a = new FakeApi();
    a.seed(deployments, deployment([{ type: "Available", status: "True" }]));
    const io = fakeIo(a);
    assert.equal(await run(["wait", "--for=condition=Available", "deployment/web"], io), 0);
    assert.equal(io.stdout.text, "deployment.apps/web condition met\n");
    assert.equal(a.calls.some((c) => c.startsWith("watch")), false);
  });

  it("follows the watch until the condition holds, with progress on a terminal", async () => {
    const a = new FakeApi();
    const seeded = a.seed(deployments, deployment([{ type: "Available", status: "False" }]));
    a.watchEvents.push({ type: "MODIFIED", object: { ...seeded, status: { conditions: [{ type: "Progressing", status: "True" }] } }, revision: 1 });
    a.watchEvents.push({ type: "MODIFIED", object: { ...seeded, status: { conditions: [{ type: "available", status: "True" }] } }, revision: 2 });
    const io = fakeIo(a);
    io.stderr.isTTY = true;
    assert.equal(await run(["wait", "deploy", "web", "--for", "condition=available=true", "--timeout=5s"], io), 0);
    assert.equal(io.stdout.text, "deployment.apps/web condition met\n");
    assert.match(io.stderr.text, /waiting for deployment\.apps\/web: available=False/);
    assert.match(io.stderr.text, /available=<unset>/);
  });

  it("waits for a JSONPath value of every selected pod, and for deletion", async () => {
    const a = new FakeApi();
    const p = a.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: { app: "x" } }, status: { phase: "Pending" } });
    a.watchEvents.push({ type: "MODIFIED", object: { ...p, status: { phase: "Running" } }, revision: 1 }, { type: "DELETED", object: p, revision: 2 });
    let io = fakeIo(a);
    assert.equal(await run(["wait", "pods", "-l", "app=x", "--for=jsonpath={.status.phase}=Running"], io), 0);
    assert.equal(io.stdout.text, "pod/p condition met\n");
    io = fakeIo(a);
    assert.equal(await run(["wait", "pod/p", "--for=delete"], io), 0);
    assert.equal(io.stdout.text, "pod/p deleted\n");
    io = fakeIo(a);
    assert.equal(await run(["wait", "pod/gone", "--for=delete"], io), 0, "an object already gone is deleted");
  });

  it("times out with kubectl's message", async () => {
    const a = new FakeApi();
    a.seed(deployments, deployment([]));
    const io = fakeIo(a);
    assert.equal(await run(["wait", "deploy/web", "--for=condition=Available", "--timeout=150ms"], io), 1);
    assert.equal(io.stderr.text, "error: timed out waiting for the condition on deployments/web\n");
  });

  it("parses --for and checks conditions", () => {
    assert.deepEqual(parseWaitFor("delete"), { type: "delete" });
    assert.deepEqual(parseWaitFor("condition=Ready"), { type: "condition", condition: "Ready", status: "True" });
    assert.deepEqual(parseWaitFor("condition=Ready=false"), { type: "condition", condition: "Ready", status: "false" });
    const jp = parseWaitFor("jsonpath={.status.phase}=Running");
    assert.equal(jp.type === "jsonpath" && jp.value, "Running");
    assert.equal(check({ status: { phase: "Running" } }, jp).met, true);
    assert.equal(check({ status: { phase: "Pending" } }, jp).met, false);
    assert.throws(() => parseWaitFor("ready"), /unrecognized condition/);
    assert.throws(() => parseWaitFor("jsonpath=.status"), /unrecognized JSONPath/);
  });
});
