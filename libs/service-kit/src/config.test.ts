// Unit tests for configuration loading: precedence, coercion and errors that name the key.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defineConfig, loadConfig, parseDuration } from "./config.js";
import { ConfigError, HelpRequested } from "./errors.js";

const schema = defineConfig({
  listen: { type: "string", default: "127.0.0.1:80", description: "where" },
  workers: { type: "int", default: 2, min: 1, max: 64, description: "how many" },
  verbose: { type: "bool", description: "chatty" },
  timeout: { type: "duration", default: "10s", description: "how long" },
  mode: { type: "enum", values: ["fast", "safe"], default: "safe", description: "how" },
  peers: { type: "list", description: "who" },
  token: { type: "string", description: "secret" },
});

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kp-config-"));
  const path = join(dir, "config.yaml");
  writeFileSync(path, text);
  return path;
}

test("defaults apply when nothing is set", () => {
  const c = loadConfig(schema, { argv: [], env: {}, envPrefix: "KP_T" });
  assert.deepEqual(c, { listen: "127.0.0.1:80", workers: 2, verbose: false, timeout: 10_000, mode: "safe", peers: [] });
});

test("flags beat environment, environment beats the file, the file beats defaults", () => {
  const file = yamlFile("workers: 3\nmode: fast\nlisten: 0.0.0.0:1\npeers: [a, b]\n");
  const c = loadConfig(schema, {
    argv: ["--config", file, "--workers=5", "--verbose"],
    env: { KP_T_WORKERS: "4", KP_T_LISTEN: "10.0.0.1:2", KP_T_TIMEOUT: "1m30s" },
    envPrefix: "KP_T",
  });
  assert.equal(c.workers, 5);
  assert.equal(c.listen, "10.0.0.1:2");
  assert.equal(c.mode, "fast");
  assert.deepEqual(c.peers, ["a", "b"]);
  assert.equal(c.timeout, 90_000);
  assert.equal(c.verbose, true);
  assert.equal(c.token, undefined);
});

test("a bad value names the key and where it came from", () => {
  assert.throws(
    () => loadConfig(schema, { argv: ["--workers", "many"], env: {}, envPrefix: "KP_T" }),
    (err: unknown) => err instanceof ConfigError && err.key === "workers" && err.source === "flag" && /integer/.test(err.message),
  );
  assert.throws(
    () => loadConfig(schema, { argv: [], env: { KP_T_TIMEOUT: "soon" }, envPrefix: "KP_T" }),
    (err: unknown) => err instanceof ConfigError && err.key === "timeout" && err.source === "env",
  );
  assert.throws(
    () => loadConfig(schema, { argv: ["--workers=0"], env: {}, envPrefix: "KP_T" }),
    /"workers".*at least 1/,
  );
  assert.throws(
    () => loadConfig(schema, { argv: ["--mode=turbo"], env: {}, envPrefix: "KP_T" }),
    /"mode".*one of fast, safe/,
  );
});

test("unknown flags and unknown file keys are refused", () => {
  assert.throws(() => loadConfig(schema, { argv: ["--wrokers=2"], env: {}, envPrefix: "KP_T" }), /unknown flag --wrokers/);
  const file = yamlFile("wrokers: 2\n");
  assert.throws(() => loadConfig(schema, { argv: ["--config", file], env: {}, envPrefix: "KP_T" }), /"wrokers".*unknown key/);
});

test("required values must be given", () => {
  const s = defineConfig({ etcd: { type: "string", required: true, description: "etcd endpoints" } });
  assert.throws(() => loadConfig(s, { argv: [], env: {}, envPrefix: "KP_X" }), /"etcd".*required.*--etcd or KP_X_ETCD/);
  assert.equal(loadConfig(s, { argv: ["--etcd", "e:1"], env: {}, envPrefix: "KP_X" }).etcd, "e:1");
});

test("--help yields usage listing every flag and its variable", () => {
  assert.throws(
    () => loadConfig(schema, { argv: ["--help"], env: {}, envPrefix: "KP_T", program: "kp-test" }),
    (err: unknown) =>
      err instanceof HelpRequested && err.usage.includes("kp-test") && err.usage.includes("--workers") && err.usage.includes("KP_T_WORKERS"),
  );
});

test("--no-flag turns a boolean off", () => {
  const s = defineConfig({ leaderElect: { type: "bool", default: true, description: "elect" } });
  assert.equal(loadConfig(s, { argv: ["--no-leader-elect"], env: {}, envPrefix: "KP_X" }).leaderElect, false);
});

test("durations parse like Go's", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1h2m3s"), 3_723_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("10"), undefined);
  assert.equal(parseDuration("5 s"), undefined);
});
