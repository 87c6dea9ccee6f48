// The field manager's Apply and Update rules on Deployments: ownership, conflicts, force, pruning, the Update cap, resets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJson, isApiError, kindForResource, strategicMergePatch, type ApiObject } from "@kubeplane/api";
import { applyConfiguration, manageUpdate, type ManagedFieldsEntryLike } from "./index.js";

const info = kindForResource("apps", "deployments")!;
const now = new Date("2026-01-01T00:00:00Z");
type Obj = Record<string, unknown>;

function config(replicas: number, extra: Obj = {}): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" } },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx", ...extra }] } } },
  };
}

function apply(live: Obj | undefined, cfg: Obj, manager: string, force = false): Obj {
  // The REST layer merges the configuration into the live object the same way.
  const merged = strategicMergePatch(info.typeName, structuredClone(live ?? {}), cfg) as Obj;
  return applyConfiguration({ typeName: info.typeName, apiVersion: "apps/v1", live, config: cfg, merged, manager, force, ignoreStatus: true, now });
}

/** The entries, fieldsV1 as objects (decoded objects hold its text). */
const entries = (obj: Obj | ApiObject): ManagedFieldsEntryLike[] =>
  (obj as { metadata: { managedFields: ManagedFieldsEntryLike[] } }).metadata.managedFields.map((e) => ({ ...e, fieldsV1: typeof e.fieldsV1 === "string" ? (JSON.parse(e.fieldsV1) as Obj) : e.fieldsV1 }));
const typed = (obj: Obj): ApiObject => decodeJson(info, obj).object!;

test("an apply owns the fields of its configuration, and a second manager changing one conflicts until forced", () => {
  const created = apply(undefined, config(2), "first");
  assert.deepEqual(entries(created).map((e) => [e.manager, e.operation]), [["first", "Apply"]]);
  assert.deepEqual((entries(created)[0]!.fieldsV1 as Obj)["f:spec"], {
    "f:replicas": {},
    "f:selector": {},
    "f:template": { "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:containers": { 'k:{"name":"c"}': { ".": {}, "f:image": {}, "f:name": {} } } } },
  });
  // The same value is shared ownership, not a conflict.
  const shared = apply(created, config(2), "second");
  assert.deepEqual(entries(shared).map((e) => e.manager).sort(), ["first", "second"]);
  assert.throws(
    () => apply(shared, config(3), "second"),
    (err: unknown) => isApiError(err) && err.code === 409 && err.message === 'Apply failed with 1 conflict: conflict with "first": .spec.replicas' && err.causes[0]?.reason === "FieldManagerConflict" && err.causes[0]?.field === ".spec.replicas",
  );
  const forced = apply(shared, config(3), "second", true);
  assert.equal((forced["spec"] as Obj)["replicas"], 3);
  const first = entries(forced).find((e) => e.manager === "first")!;
  assert.equal(((first.fieldsV1 as Obj)["f:spec"] as Obj)["f:replicas"], undefined);
});

test("a field the applier drops is removed unless another manager owns it", () => {
  const created = apply(undefined, config(2, { command: ["sleep"] }), "first");
  const dropped = apply(created, config(2), "first");
  const container = (((dropped["spec"] as Obj)["template"] as Obj)["spec"] as { containers: Obj[] }).containers[0]!;
  assert.equal(container["command"], undefined);
  const withOther = apply(apply(created, config(2, { command: ["sleep"] }), "second"), config(2), "first");
  const kept = (((withOther["spec"] as Obj)["template"] as Obj)["spec"] as { containers: Obj[] }).containers[0]!;
  assert.deepEqual(kept["command"], ["sleep"]);
});

test("an apply that changes nothing keeps the entry's time", () => {
  const created = apply(undefined, config(2), "first");
  const again = applyConfiguration({ typeName: info.typeName, apiVersion: "apps/v1", live: created, config: config(2), merged: structuredClone(created), manager: "first", force: false, ignoreStatus: true, now: new Date("2027-01-01T00:00:00Z") });
  assert.deepEqual(entries(again), entries(created));
});

test("an update takes the fields it changed, and merges per manager", () => {
  const old = typed(apply(undefined, config(2), "applier"));
  const next = info.codec.fromPartial(old) as ApiObject & { spec: { replicas?: number } };
  next.spec.replicas = 5;
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old, next, writer: { manager: "kubectl-scale", operation: "Update" }, subresource: "scale", now });
  const scale = entries(next).find((e) => e.manager === "kubectl-scale")!;
  assert.deepEqual([scale.operation, scale.subresource, scale.fieldsV1], ["Update", "scale", { "f:spec": { "f:replicas": {} } }]);
  assert.equal(((entries(next)[0]!.fieldsV1 as Obj)["f:spec"] as Obj)["f:replicas"], undefined);
  // Nothing changed: nothing recorded.
  const same = info.codec.fromPartial(next);
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old: next, next: same, writer: { manager: "other", operation: "Update" }, subresource: "", now: new Date("2027-01-01T00:00:00Z") });
  assert.deepEqual(entries(same), entries(next));
});

test("more than ten Update managers: the oldest merge into ancient-changes", () => {
  let obj = typed(config(1));
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old: undefined, next: obj, writer: { manager: "creator", operation: "Update" }, subresource: "", now });
  for (let i = 0; i < 12; i++) {
    const next = info.codec.fromPartial(obj) as ApiObject & { metadata: { annotations: Record<string, string> } };
    next.metadata.annotations[`a${i}`] = "x";
    manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old: obj, next, writer: { manager: `m${i}`, operation: "Update" }, subresource: "", now: new Date(now.getTime() + (i + 1) * 1000) });
    obj = next;
  }
  const managers = entries(obj).map((e) => e.manager);
  assert.equal(managers.length, 10);
  assert.ok(managers.includes("ancient-changes"));
  assert.ok(!managers.includes("creator") && managers.includes("m11"));
});

test("a client may rewrite managedFields; invalid ones are replaced by the stored ones, and [{}] clears them", () => {
  const old = typed(apply(undefined, config(2), "applier"));
  const invalid = info.codec.fromPartial(old);
  invalid.metadata!.managedFields = [{ manager: "x", operation: "Bogus", apiVersion: "apps/v1", time: "", fieldsType: "FieldsV1", fieldsV1: "{}", subresource: "" }];
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old, next: invalid, writer: { manager: "editor", operation: "Update" }, subresource: "", now });
  assert.deepEqual(entries(invalid), entries(old));
  const cleared = info.codec.fromPartial(old);
  cleared.metadata!.managedFields = [{ manager: "", operation: "", apiVersion: "", time: "", fieldsType: "", fieldsV1: "", subresource: "" }];
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old, next: cleared, writer: { manager: "editor", operation: "Update" }, subresource: "", now });
  assert.deepEqual(entries(cleared), []);
});

test("an apply through the status subresource is recorded as that subresource's Update", () => {
  const old = typed(apply(undefined, config(2), "applier"));
  const next = info.codec.fromPartial(old) as ApiObject & { status?: { replicas?: number } };
  next.status = { ...(next.status ?? {}), replicas: 2 };
  manageUpdate({ typeName: info.typeName, apiVersion: "apps/v1", old, next, writer: { manager: "status-applier", operation: "Apply" }, subresource: "status", now });
  const entry = entries(next).find((e) => e.manager === "status-applier");
  assert.deepEqual([entry?.operation, entry?.subresource, entry?.fieldsV1], ["Update", "status", { "f:status": { "f:replicas": {} } }]);
});
