// Tests of a container's environment: envFrom, ordering, $(VAR) expansion, valueFrom and missing sources.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { coreV1Config } from "@kubeplane/api";
import { expandArgs, resolveEnv, type EnvContext } from "./env.js";
import { CreateContainerConfigError } from "./errors.js";
import { configMap, container, pod, secret } from "./test-support.js";

function ctx(cms: coreV1Config.ConfigMap[] = [], secrets: coreV1Config.Secret[] = [], extra: Partial<EnvContext> = {}): EnvContext {
  return {
    getConfigMap: (_ns, name) => Promise.resolve(cms.find((c) => c.metadata?.name === name)),
    getSecret: (_ns, name) => Promise.resolve(secrets.find((s) => s.metadata?.name === name)),
    podIp: "10.0.0.5",
    podIps: ["10.0.0.5", "fd00::5"],
    hostIp: "192.168.1.10",
    nodeName: "node-a",
    ...extra,
  };
}

const asObject = (kvs: { key: string; value: string }[]): Record<string, string> => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));

test("env values expand $(VAR) against earlier vars only, and $$ escapes", async () => {
  const c = container("app", {
    env: [
      { name: "A", value: "a" },
      { name: "B", value: "$(A)-$(C)" },
      { name: "C", value: "c" },
      { name: "D", value: "$$(A)" },
    ],
  });
  const env = await resolveEnv(pod(), c, ctx());
  assert.deepEqual(env, [
    { key: "A", value: "a" },
    { key: "B", value: "a-$(C)" },
    { key: "C", value: "c" },
    { key: "D", value: "$(A)" },
  ]);
});

test("envFrom comes first with its prefix, skips invalid names, and env overrides it", async () => {
  const invalid: string[][] = [];
  const c = container("app", {
    envFrom: [
      { prefix: "CM_", configMapRef: { name: "cfg" } },
      { prefix: "", secretRef: { name: "creds" } },
    ],
    env: [{ name: "CM_mode", value: "override-$(PASSWORD)" }],
  });
  const env = await resolveEnv(
    pod(),
    c,
    ctx([configMap("cfg", { mode: "fast", "1bad": "x" })], [secret("creds", { PASSWORD: "s3cr3t" })], {
      onInvalidKeys: (_source, keys) => invalid.push(keys),
    }),
  );
  assert.deepEqual(asObject(env), { CM_1bad: "x", CM_mode: "override-s3cr3t", PASSWORD: "s3cr3t" });
  assert.equal(invalid.length, 0);

  const skipped: [string, string[]][] = [];
  const bad = await resolveEnv(
    pod(),
    container("app", { envFrom: [{ prefix: "", configMapRef: { name: "cfg" } }] }),
    ctx([configMap("cfg", { "1bad": "x", ok: "y" })], [], { onInvalidKeys: (source, keys) => skipped.push([source, keys]) }),
  );
  assert.deepEqual(asObject(bad), { ok: "y" });
  assert.deepEqual(skipped, [["configMap default/cfg", ["1bad"]]]);
});

test("valueFrom reads ConfigMap and Secret keys, decoding secret bytes as utf8", async () => {
  const c = container("app", {
    env: [
      { name: "LEVEL", value: "", valueFrom: { configMapKeyRef: { name: "cfg", key: "level" } } },
      { name: "TOKEN", value: "", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } },
    ],
  });
  const env = await resolveEnv(pod(), c, ctx([configMap("cfg", { level: "debug" })], [secret("creds", { token: "päss" })]));
  assert.deepEqual(asObject(env), { LEVEL: "debug", TOKEN: "päss" });
});

test("optional sources and keys that are missing are skipped", async () => {
  const c = container("app", {
    envFrom: [{ prefix: "", configMapRef: { name: "absent", optional: true } }],
    env: [
      { name: "A", value: "", valueFrom: { configMapKeyRef: { name: "absent", key: "k", optional: true } } },
      { name: "B", value: "", valueFrom: { configMapKeyRef: { name: "cfg", key: "nokey", optional: true } } },
      { name: "C", value: "", valueFrom: { secretKeyRef: { name: "absent", key: "k", optional: true } } },
      { name: "D", value: "d" },
    ],
  });
  assert.deepEqual(await resolveEnv(pod(), c, ctx([configMap("cfg", {})])), [{ key: "D", value: "d" }]);
});

test("a missing ConfigMap, Secret or key fails with CreateContainerConfigError worded like Kubernetes", async () => {
  const ref = (valueFrom: object) => container("app", { env: [{ name: "X", value: "", valueFrom }] });
  await assert.rejects(resolveEnv(pod(), ref({ configMapKeyRef: { name: "app-cfg", key: "k" } }), ctx()), (err: unknown) => {
    assert.ok(err instanceof CreateContainerConfigError);
    assert.equal(err.container, "app");
    assert.equal(err.message, 'couldn\'t get configMap default/app-cfg: configmap "app-cfg" not found');
    return true;
  });
  await assert.rejects(resolveEnv(pod(), ref({ configMapKeyRef: { name: "cfg", key: "k" } }), ctx([configMap("cfg", {})])), {
    name: "CreateContainerConfigError",
    message: "couldn't find key k in ConfigMap default/cfg",
  });
  await assert.rejects(resolveEnv(pod(), ref({ secretKeyRef: { name: "s", key: "k" } }), ctx()), {
    message: 'couldn\'t get secret default/s: secret "s" not found',
  });
  await assert.rejects(resolveEnv(pod(), container("app", { envFrom: [{ prefix: "", secretRef: { name: "s" } }] }), ctx()), {
    name: "CreateContainerConfigError",
  });
  await assert.rejects(resolveEnv(pod(), ref({ fieldRef: { apiVersion: "v1", fieldPath: "spec.bogus" } }), ctx()), {
    message: "unsupported fieldPath: spec.bogus",
  });
});

test("fieldRef exposes pod metadata, spec and status fields", async () => {
  const field = (name: string, fieldPath: string) => ({ name, value: "", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } });
  const p = pod({ serviceAccountName: "sa", nodeName: "" }, { labels: { app: "web", tier: "fe" }, annotations: { "a.io/x": "1" } });
  const c = container("app", {
    env: [
      field("NAME", "metadata.name"),
      field("NS", "metadata.namespace"),
      field("UID", "metadata.uid"),
      field("APP", "metadata.labels['app']"),
      field("ANN", "metadata.annotations['a.io/x']"),
      field("LABELS", "metadata.labels"),
      field("NODE", "spec.nodeName"),
      field("SA", "spec.serviceAccountName"),
      field("HOST_IP", "status.hostIP"),
      field("POD_IP", "status.podIP"),
      field("POD_IPS", "status.podIPs"),
    ],
  });
  assert.deepEqual(asObject(await resolveEnv(p, c, ctx())), {
    NAME: "web",
    NS: "default",
    UID: "u1",
    APP: "web",
    ANN: "1",
    LABELS: 'app="web"\ntier="fe"',
    NODE: "node-a",
    SA: "sa",
    HOST_IP: "192.168.1.10",
    POD_IP: "10.0.0.5",
    POD_IPS: "10.0.0.5,fd00::5",
  });
});

test("resourceFieldRef divides by the divisor rounding up, and unset limits use node allocatable", async () => {
  const res = (name: string, resource: string, divisor?: string) => ({
    name,
    value: "",
    valueFrom: { resourceFieldRef: { containerName: "", resource, ...(divisor ? { divisor } : {}) } },
  });
  const c = container("app", {
    resources: { limits: { cpu: "1500m", memory: "128Mi" }, requests: { cpu: "250m" }, claims: [] },
    env: [res("CPU_LIMIT", "limits.cpu"), res("CPU_REQ_M", "requests.cpu", "1m"), res("MEM_MI", "limits.memory", "1Mi"), res("MEM_REQ", "requests.memory")],
  });
  assert.deepEqual(asObject(await resolveEnv(pod(), c, ctx())), { CPU_LIMIT: "2", CPU_REQ_M: "250", MEM_MI: "128", MEM_REQ: "134217728" });
  const bare = container("app", { env: [res("CPU_LIMIT", "limits.cpu")] });
  assert.deepEqual(asObject(await resolveEnv(pod(), bare, ctx([], [], { nodeAllocatable: { cpu: "4" } }))), { CPU_LIMIT: "4" });
});

test("expandArgs expands command and args against the resolved env", () => {
  const env = [{ key: "PORT", value: "8080" }];
  assert.deepEqual(expandArgs(["--port=$(PORT)", "$(MISSING)", "$$(PORT)"], env), ["--port=8080", "$(MISSING)", "$(PORT)"]);
});
