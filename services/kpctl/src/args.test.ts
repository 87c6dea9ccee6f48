// Tests of kpctl's flag parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs, parseDuration, splitCommand, UsageError, type FlagSpec } from "./args.js";

const specs: FlagSpec[] = [
  { name: "namespace", short: "n", type: "string", description: "" },
  { name: "filename", short: "f", type: "strings", description: "" },
  { name: "all-namespaces", short: "A", type: "boolean", description: "" },
  { name: "wait", type: "boolean", default: true, description: "" },
  { name: "dry-run", type: "string", default: "none", description: "" },
];

test("flags and positionals may interleave in every kubectl spelling", () => {
  const { flags, positionals } = parseArgs(["pods", "-n", "kube-system", "web", "--dry-run=server", "-A"], specs);
  assert.deepEqual(positionals, ["pods", "web"]);
  assert.equal(flags.string("namespace"), "kube-system");
  assert.equal(flags.string("dry-run"), "server");
  assert.equal(flags.boolean("all-namespaces"), true);
  assert.equal(parseArgs(["-nfoo"], specs).flags.string("namespace"), "foo");
  assert.equal(parseArgs(["-n=foo"], specs).flags.string("namespace"), "foo");
  assert.equal(parseArgs(["--namespace", "foo"], specs).flags.string("namespace"), "foo");
});

test("repeated and comma-separated -f accumulate; - is a positional-like value", () => {
  const { flags } = parseArgs(["-f", "a.yaml", "-f", "b.yaml,c.yaml", "--filename=-"], specs);
  assert.deepEqual(flags.strings("filename"), ["a.yaml", "b.yaml", "c.yaml", "-"]);
});

test("booleans take =false and keep their defaults when absent", () => {
  assert.equal(parseArgs([], specs).flags.boolean("wait"), true);
  assert.equal(parseArgs(["--wait=false"], specs).flags.boolean("wait"), false);
  assert.throws(() => parseArgs(["--wait=maybe"], specs), UsageError);
});

test("unknown flags and missing values are usage errors", () => {
  assert.throws(() => parseArgs(["--bogus"], specs), /unknown flag: --bogus/);
  assert.throws(() => parseArgs(["-x"], specs), /unknown shorthand flag: 'x'/);
  assert.throws(() => parseArgs(["-n"], specs), /flag needs an argument: -n/);
});

test("-- ends the flags", () => {
  assert.deepEqual(parseArgs(["--", "-n", "x"], specs).positionals, ["-n", "x"]);
});

test("the command is the first positional, skipping global flag values", () => {
  assert.deepEqual(splitCommand(["-n", "prod", "get", "pods"], specs), { command: "get", rest: ["-n", "prod", "pods"] });
  assert.deepEqual(splitCommand(["--namespace=prod", "-A"], specs), { command: undefined, rest: ["--namespace=prod", "-A"] });
});

test("request timeouts read like kubectl's", () => {
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("5"), 5000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.throws(() => parseDuration("soon"), UsageError);
});

test("boolean shorthands bundle as pflag's: -it is -i -t; a non-boolean letter in a bundle is refused", () => {
  const bundled: FlagSpec[] = [...specs, { name: "stdin", short: "i", type: "boolean", description: "" }, { name: "tty", short: "t", type: "boolean", description: "" }];
  const { flags } = parseArgs(["-it"], bundled);
  assert.equal(flags.boolean("stdin"), true);
  assert.equal(flags.boolean("tty"), true);
  assert.throws(() => parseArgs(["-in"], bundled), /unknown shorthand flag: 'n' in -in/);
});
