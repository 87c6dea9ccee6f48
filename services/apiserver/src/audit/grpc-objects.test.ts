import assert from "node:assert/strict";
import { test } from "node:test";
import { apiserverV1, coreV1Event, coreV1Pod } from "@kubeplane/api";
import { requestBody } from "./grpc-objects.js";

const protobuf = (data: Uint8Array): apiserverV1.RawObject => ({ data: Buffer.from(data), encoding: apiserverV1.Encoding.ENCODING_PROTOBUF });
const json = (value: unknown): apiserverV1.RawObject => ({ data: Buffer.from(JSON.stringify(value)), encoding: apiserverV1.Encoding.ENCODING_JSON });

test("the batch calls are logged as a List of their objects, protobuf and JSON alike", () => {
  const event = coreV1Event.Event.fromPartial({ metadata: { namespace: "ns", name: "e1" }, reason: "Scheduled", message: "placed" });
  const body = requestBody("createEvents", { namespace: "ns", events: [protobuf(coreV1Event.Event.encode(event).finish()), json({ apiVersion: "v1", kind: "Event", metadata: { name: "e2" } })] }) as {
    kind: string;
    items: { kind?: string; metadata: { name: string }; reason?: string }[];
  };
  assert.equal(body.kind, "List");
  assert.deepEqual(
    body.items.map((i) => i.metadata.name),
    ["e1", "e2"],
  );
  assert.equal(body.items[0]!.reason, "Scheduled");

  const binding = coreV1Pod.Binding.fromPartial({ metadata: { name: "p" }, target: { kind: "Node", name: "n1" } });
  const bound = requestBody("bindPods", { bindings: [protobuf(coreV1Pod.Binding.encode(binding).finish())] }) as { items: { kind: string; target: { name: string } }[] };
  assert.equal(bound.items[0]!.kind, "Binding");
  assert.equal(bound.items[0]!.target.name, "n1");
});
