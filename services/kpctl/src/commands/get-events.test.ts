// Tests of `kpctl get events`: kubectl's columns, oldest last-seen first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const events = kindFor("v1", "Event") as KindInfo;

test("get events prints LAST SEEN TYPE REASON OBJECT MESSAGE sorted by last timestamp", async () => {
  const api = new FakeApi();
  const event = (name: string, lastTimestamp: string, type: string, reason: string, object: string, message: string): void => {
    const [kind, objectName] = object.split("/");
    api.seed(events, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: "default" },
      involvedObject: { kind, name: objectName, namespace: "default" },
      type,
      reason,
      message,
      lastTimestamp,
    });
  };
  event("b", "2026-03-01T11:59:50Z", "Normal", "ScalingReplicaSet", "Deployment/web", "Scaled up replica set web-7c9 to 3");
  event("a", "2026-03-01T11:58:00Z", "Normal", "Scheduled", "Pod/web-7c9-x", "Successfully assigned default/web-7c9-x to worker-1");
  event("c", "2026-03-01T11:59:58Z", "Warning", "BackOff", "Pod/web-7c9-y", "Back-off restarting failed container");
  const io = fakeIo(api);
  assert.equal(await run(["get", "events"], io), 0);
  assert.equal(
    io.stdout.text,
    [
      "LAST SEEN   TYPE      REASON              OBJECT           MESSAGE",
      "2m          Normal    Scheduled           pod/web-7c9-x    Successfully assigned default/web-7c9-x to worker-1",
      "10s         Normal    ScalingReplicaSet   deployment/web   Scaled up replica set web-7c9 to 3",
      "2s          Warning   BackOff             pod/web-7c9-y    Back-off restarting failed container",
      "",
    ].join("\n"),
  );
});
