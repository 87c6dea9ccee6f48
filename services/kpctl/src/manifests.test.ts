// Tests of manifest loading: multi-document YAML, JSON, Lists, directories, stdin and parse errors.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import { loadManifests, parseManifests, type Manifest } from "./manifests.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kpctl-manifests-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}
const names = (ms: Manifest[]): string[] => ms.map((m) => (m.object.metadata as { name: string }).name);

test("a multi-document YAML file yields every object in order, skipping empty documents", () => {
  const text = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n";
  const ms = parseManifests(text, "f.yaml");
  assert.deepEqual(names(ms), ["a", "b"]);
  assert.equal(ms[1]?.source, "f.yaml");
});

test("JSON manifests load as they are", () => {
  const ms = parseManifests(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { port: "80" } }), "c.json");
  assert.deepEqual(ms[0]?.object, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { port: "80" } });
});

test("a kind: List is expanded into its items", () => {
  const text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s1}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s2}\n";
  assert.deepEqual(names(parseManifests(text, "l.yaml")), ["s1", "s2"]);
});

test("bad YAML is an error naming the file and the line", () => {
  const text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [a\n";
  assert.throws(() => parseManifests(text, "bad.yaml"), (err: Error) => /^error parsing bad\.yaml: yaml: line \d+:/.test(err.message));
});

test("objects without apiVersion or kind are rejected", () => {
  assert.throws(() => parseManifests("metadata:\n  name: x\n", "m.yaml"), /error validating "m.yaml": error validating data: \[apiVersion not set, kind not set\]/);
});

test("a directory loads its *.yaml, *.yml and *.json files in name order and ignores the rest", async () => {
  const doc = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
  const dir = await tempDir({
    "20-b.yml": doc("b"),
    "10-a.yaml": doc("a"),
    "30-c.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }),
    "README.md": "# not a manifest",
  });
  assert.deepEqual(names(await loadManifests([dir], Readable.from([]))), ["a", "b", "c"]);
});

test("- reads the manifests from stdin", async () => {
  const ms = await loadManifests(["-"], Readable.from([Buffer.from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: piped\n")]));
  assert.deepEqual(names(ms), ["piped"]);
  assert.equal(ms[0]?.source, "STDIN");
});

test("a missing path is reported", async () => {
  await assert.rejects(loadManifests(["/nonexistent/x.yaml"], Readable.from([])), /the path "\/nonexistent\/x.yaml" does not exist/);
});
