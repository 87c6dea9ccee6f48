// The Status on the wire: a hostile value in an error message can neither crash grpc-js nor overflow the trailers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Status } from "./gen/kubeplane/meta/v1/meta.js";
import { STATUS_METADATA_KEY, invalid, toGrpcStatus, tooManyRequests } from "./api-error.js";

test("a lone surrogate or a 100,000-character value in an Invalid becomes a bounded, well-formed Status", () => {
  const err = invalid({ resource: "configmaps", kind: "ConfigMap", name: `a\ud83db${"n".repeat(100_000)}` }, [
    { type: "FieldValueInvalid", field: "metadata.name", value: `a\ud800${"x".repeat(100_000)}`, detail: "bad" },
  ]);
  const wire = toGrpcStatus(err);
  assert.doesNotThrow(() => encodeURI(wire.details!), "grpc-js encodeURIs the message");
  assert.ok(wire.details!.length < 5000);
  const status = Status.decode(wire.metadata!.get(STATUS_METADATA_KEY)[0] as Buffer);
  assert.equal(status.reason, "Invalid");
  assert.ok(status.message.includes("more characters)"));
  assert.ok(!/[\ud800-\udfff]/.test(status.details!.causes[0]!.message.replace(/[\ud800-\udbff][\udc00-\udfff]/g, "")));
  assert.equal(err.status.message.length > 100_000, true, "the error itself keeps its full message");
});

test("TooManyRequests carries retryAfterSeconds", () => {
  const status = Status.decode(toGrpcStatus(tooManyRequests("slow down", 3)).metadata!.get(STATUS_METADATA_KEY)[0] as Buffer);
  assert.equal(status.code, 429);
  assert.equal(status.details?.retryAfterSeconds, 3);
});
