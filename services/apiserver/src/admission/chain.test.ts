// Unit tests of the admission chain: order, mutating before validating, refusals, dry run, warnings, metrics; and the plugin list's flags.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry as MetricsRegistry } from "prom-client";
import { apiErrors, isApiError, kindForResource, type ApiObject, type KindInfo } from "@kubeplane/api";
import { newRequestContext } from "../request-context.js";
import { AdmissionChain, type AdmissionPlugin } from "./chain.js";
import type { AdmissionAttributes } from "./interfaces.js";
import { createAdmissionMetrics } from "./metrics.js";
import { admissionPluginOrder, enabledAdmissionPlugins, UnknownAdmissionPluginError } from "./plugins.js";
import { MemoryAdmissionStore } from "./plugins/test-admission-support.js";

const pods = kindForResource("", "pods")!;
const user = { username: "alice", groups: ["system:authenticated"] };
const pod = (): ApiObject => pods.codec.fromPartial({ metadata: { name: "p", namespace: "ns", labels: {} } });
const create = (object: ApiObject, info: KindInfo = pods) => ({ operation: "CREATE" as const, info, namespace: "ns", name: "p", object });

/** A plugin that records its calls in `log` and runs `body` in whichever phase it implements. */
function recorder(name: string, log: string[], phases: { admit?: (a: AdmissionAttributes) => void; validate?: (a: AdmissionAttributes) => void }, handles = true): AdmissionPlugin {
  const plugin: Record<string, unknown> = { name, handles: () => handles };
  if (phases.admit) plugin.admit = async (a: AdmissionAttributes) => (log.push(`admit:${name}`), phases.admit!(a));
  if (phases.validate) plugin.validate = async (a: AdmissionAttributes) => (log.push(`validate:${name}`), phases.validate!(a));
  return plugin as unknown as AdmissionPlugin;
}

test("mutating plugins run in list order, then validating ones in list order; a plugin with both runs in both phases", async () => {
  const log: string[] = [];
  const noop = (): void => {};
  const chain = new AdmissionChain(
    [recorder("A", log, { validate: noop }), recorder("B", log, { admit: noop, validate: noop }), recorder("C", log, { admit: noop }), recorder("Skipped", log, { admit: noop, validate: noop }, false)],
    new MemoryAdmissionStore(),
  );
  await chain.admit(create(pod()), newRequestContext(user));
  assert.deepEqual(log, ["admit:B", "admit:C", "validate:A", "validate:B"]);
});

test("validating plugins see what mutating plugins changed", async () => {
  const seen: string[] = [];
  const chain = new AdmissionChain(
    [
      recorder("Check", [], { validate: (a) => seen.push(a.object!.metadata!.labels["added"] ?? "missing") }),
      recorder("Label", [], { admit: (a) => void (a.object!.metadata!.labels["added"] = "yes") }),
    ],
    new MemoryAdmissionStore(),
  );
  const obj = pod();
  await chain.admit(create(obj), newRequestContext(user));
  assert.deepEqual(seen, ["yes"]);
  assert.equal(obj.metadata!.labels["added"], "yes", "mutations land on the request's object");
});

test("the first refusal ends the request: an ApiError as the plugin worded it, a plain error as Forbidden naming the plugin", async () => {
  const log: string[] = [];
  const metrics = new MetricsRegistry();
  const chain = new AdmissionChain(
    [
      recorder("First", log, { admit: () => {} }),
      recorder("Quota", log, { validate: () => { throw apiErrors.forbidden({ resource: "pods", name: "p" }, "exceeded quota: q"); } }),
      recorder("Later", log, { validate: () => {} }),
    ],
    new MemoryAdmissionStore(),
    createAdmissionMetrics(metrics),
  );
  await assert.rejects(chain.admit(create(pod()), newRequestContext(user)), (e: unknown) => isApiError(e) && e.message === 'pods "p" is forbidden: exceeded quota: q');
  assert.deepEqual(log, ["admit:First", "validate:Quota"], "no plugin runs after a refusal");

  const broken = new AdmissionChain([recorder("Broken", [], { admit: () => { throw new Error("lookup failed"); } })], new MemoryAdmissionStore());
  await assert.rejects(broken.admit(create(pod()), newRequestContext(user)), (e: unknown) => isApiError(e) && e.reason === "Forbidden" && /admission plugin "Broken" failed: lookup failed/.test(e.message));

  type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };
  const values = (await metrics.getSingleMetric("apiserver_admission_controller_admission_duration_seconds")!.get()).values as Sample[];
  const count = (name: string, rejected: string, type: string): number =>
    values.find((v) => v.metricName?.endsWith("_count") && v.labels.name === name && v.labels.rejected === rejected && v.labels.type === type && v.labels.operation === "CREATE")?.value ?? 0;
  assert.equal(count("Quota", "true", "validate"), 1, "the refusing plugin is counted as rejected, by name");
  assert.equal(count("First", "false", "admit"), 1);
  assert.equal(count("Later", "false", "validate"), 0);
  const steps = (await metrics.getSingleMetric("apiserver_admission_step_admission_duration_seconds")!.get()).values as Sample[];
  assert.ok(steps.some((v) => v.metricName?.endsWith("_count") && v.labels.type === "validate" && v.labels.rejected === "true" && v.value === 1));
});

test("the user, dryRun and the old object pass through; warnings and audit annotations land on the request context", async () => {
  let got: AdmissionAttributes | undefined;
  const chain = new AdmissionChain(
    [recorder("Spy", [], { validate: (a) => { got = a; a.warnings.push("careful"); a.auditAnnotations["spy/seen"] = "yes"; } })],
    new MemoryAdmissionStore(),
  );
  const ctx = newRequestContext(user, true);
  const old = pod();
  await chain.admit({ operation: "UPDATE", info: pods, subresource: "status", namespace: "ns", name: "p", object: pod(), oldObject: old }, ctx);
  assert.equal(got!.dryRun, true);
  assert.equal(got!.user.username, "alice");
  assert.equal(got!.oldObject, old);
  assert.equal(got!.subresource, "status");
  assert.deepEqual(ctx.warnings, ["careful"]);
  assert.deepEqual(ctx.auditAnnotations, { "spy/seen": "yes" });
});

test("the plugin list: Kubernetes' order, defaults, --enable/--disable-admission-plugins, unknown names refused", () => {
  const names = admissionPluginOrder.map((p) => p.name);
  const at = (n: string): number => names.indexOf(n);
  assert.ok(at("NamespaceLifecycle") === 0);
  assert.ok(at("ServiceAccount") < at("NodeRestriction"));
  assert.ok(at("NodeRestriction") < at("DefaultStorageClass") || at("DefaultStorageClass") === -1);
  const defaults = enabledAdmissionPlugins([], []);
  assert.deepEqual(defaults, names.filter((n) => admissionPluginOrder.find((p) => p.name === n)!.enabledByDefault));
  assert.ok(!enabledAdmissionPlugins([], ["NodeRestriction"]).includes("NodeRestriction"));
  assert.throws(() => enabledAdmissionPlugins(["AlwaysPullImages2"], []), UnknownAdmissionPluginError);
  assert.throws(() => enabledAdmissionPlugins(["NodeRestriction"], ["NodeRestriction"]), UnknownAdmissionPluginError);
});
