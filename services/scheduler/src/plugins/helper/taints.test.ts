// Unit tests of toleratesTaint: the Equal/Exists and empty key/effect rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { toleratesTaint } from "./taints.js";

const tol = (t: Partial<coreV1Pod.Toleration>) => coreV1Pod.Toleration.fromPartial(t);
const taint = (t: Partial<coreV1Node.Taint>) => coreV1Node.Taint.fromPartial(t);

test("toleratesTaint follows the Equal/Exists and empty key/effect rules", () => {
  const gpu = taint({ key: "dedicated", value: "gpu", effect: "NoSchedule" });
  assert.ok(toleratesTaint(tol({ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }), gpu));
  assert.ok(toleratesTaint(tol({ key: "dedicated", value: "gpu" }), gpu), "empty operator means Equal, empty effect any");
  assert.ok(toleratesTaint(tol({ key: "dedicated", operator: "Exists" }), gpu));
  assert.ok(toleratesTaint(tol({ operator: "Exists" }), gpu), "empty key with Exists tolerates everything");
  assert.ok(!toleratesTaint(tol({ key: "dedicated", value: "cpu" }), gpu));
  assert.ok(!toleratesTaint(tol({ key: "dedicated", operator: "Exists", effect: "NoExecute" }), gpu));
  assert.ok(!toleratesTaint(tol({ key: "dedicated", operator: "Gt", value: "gpu" }), gpu));
});
