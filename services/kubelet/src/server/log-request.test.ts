// Tests of PodLogOptions validation: field errors for bad values, since resolved against the clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError, kubeletV1 } from "@kubeplane/api";
import { logReadOptions } from "./log-request.js";

const NOW = new Date("2026-11-23T10:00:00Z");
const request = (fields: Partial<kubeletV1.ContainerLogsRequest>): kubeletV1.ContainerLogsRequest =>
  kubeletV1.ContainerLogsRequest.fromPartial({ namespace: "default", pod: "web", ...fields });

test("sinceSeconds counts back from now; sinceTime is taken as given", () => {
  assert.equal(logReadOptions(request({ sinceSeconds: 300 }), NOW).sinceMillis, Date.parse("2026-11-23T09:55:00Z"));
  assert.equal(logReadOptions(request({ sinceTime: "2026-11-23T09:00:00Z" }), NOW).sinceMillis, Date.parse("2026-11-23T09:00:00Z"));
  assert.deepEqual(logReadOptions(request({ tailLines: 0, limitBytes: 10 }), NOW), { tailLines: 0, limitBytes: 10, timestamps: false, sinceMillis: undefined });
});

test("bad options are Invalid with the field named", () => {
  const fieldsOf = (fields: Partial<kubeletV1.ContainerLogsRequest>): string[] => {
    try {
      logReadOptions(request(fields), NOW);
    } catch (err) {
      assert.ok(isApiError(err) && err.reason === "Invalid");
      return (err.status.details?.causes ?? []).map((c) => c.field);
    }
    return [];
  };
  assert.deepEqual(fieldsOf({ tailLines: -1 }), ["tailLines"]);
  assert.deepEqual(fieldsOf({ limitBytes: 0 }), ["limitBytes"]);
  assert.deepEqual(fieldsOf({ sinceSeconds: 5, sinceTime: "2026-11-23T09:00:00Z" }), ["sinceSeconds"]);
  assert.deepEqual(fieldsOf({ sinceTime: "yesterday" }), ["sinceTime"]);
});
