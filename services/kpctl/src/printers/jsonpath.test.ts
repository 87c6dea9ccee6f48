// Tests of the JSONPath template dialect: kubectl's documented examples, edge cases, and kubectl itself where it runs offline.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { JsonPathError, JsonPathTemplate, relaxedJsonPath } from "./jsonpath.js";

// The input of https://kubernetes.io/docs/reference/kubectl/jsonpath/.
const DOC = {
  kind: "List",
  items: [
    {
      kind: "None",
      metadata: { name: "127.0.0.1", labels: { "kubernetes.io/hostname": "127.0.0.1" } },
      status: { capacity: { cpu: "4" }, addresses: [{ type: "LegacyHostIP", address: "127.0.0.1" }] },
    },
    {
      kind: "None",
      metadata: { name: "127.0.0.2" },
      status: { capacity: { cpu: "8" }, addresses: [{ type: "LegacyHostIP", address: "127.0.0.2" }, { type: "another", address: "127.0.0.3" }] },
    },
  ],
  users: [
    { name: "myself", user: {} },
    { name: "e2e", user: { username: "admin", password: "secret" } },
  ],
};

const run = (template: string, data: unknown = DOC): string => new JsonPathTemplate(template).execute(data);

describe("kubectl's documented JSONPath examples", () => {
  const cases: [string, string][] = [
    ["{.kind}", "List"],
    ["{['kind']}", "List"],
    ["{$.kind}", "List"],
    ["{..name}", "127.0.0.1 127.0.0.2 myself e2e"],
    ["{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"],
    ["{.users[0].name}", "myself"],
    ["{.items[*]['metadata.name', 'status.capacity']}", '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'],
    ['{.users[?(@.name=="e2e")].user.password}', "secret"],
    ["{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}", '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.status.addresses[*].address}{"\\n"}{end}', "127.0.0.1\t127.0.0.1\n127.0.0.2\t127.0.0.2 127.0.0.3\n"],
    ["{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"],
    ["{.items[-1:].metadata.name}", "127.0.0.2"],
    ["{.items[*].status.addresses[?(@.type==\"another\")].address}", "127.0.0.3"],
  ];
  for (const [template, want] of cases) it(`${template} prints ${JSON.stringify(want)}`, () => assert.equal(run(template), want));
});

describe("JSONPath templates", () => {
  const data = { a: [0, 1, 2, 3, 4, 5], o: { x: 1.5, y: true, z: null, "a.b": "dot", html: "<&>" }, s: [{ n: 2, v: "two" }, { n: 10, v: "ten" }, { v: "none" }] };

  it("slices like Go: [start:end:step], negative starts, an empty range", () => {
    assert.equal(run("{.a[1:3]}", data), "1 2");
    assert.equal(run("{.a[::2]}", data), "0 2 4");
    assert.equal(run("{.a[-2:]}", data), "4 5");
    assert.equal(run("{.a[-1]}", data), "5");
    assert.equal(run("{.a[2:2]}", data), "");
    assert.equal(run("{.a[0,2]}", data), "0 2");
    assert.equal(run("{.a[*]}", data), "0 1 2 3 4 5");
  });

  it("filters compare numbers and strings, and test existence", () => {
    assert.equal(run("{.s[?(@.n > 5)].v}", data), "ten");
    assert.equal(run("{.s[?(@.n<=2)].v}", data), "two");
    assert.equal(run("{.s[?(@.n)].v}", data), "two ten");
    assert.equal(run("{.s[?(@.v != 'two')].v}", data), "ten none");
    assert.equal(run('{.s[?(@.v=="a)b")].v}', { s: [{ v: "a)b" }] }), "a)b");
  });

  it("prints scalars bare, objects as Go's compact JSON with sorted keys, and literal text between actions", () => {
    assert.equal(run("{.o.x}/{.o.y}", data), "1.5/true");
    assert.equal(run("{.o.z}", data), "<nil>");
    assert.equal(run("{.o.html}", data), "<&>");
    assert.equal(run("{.o}", { o: { b: 1, a: "<x>" } }), '{"a":"\\u003cx\\u003e","b":1}');
    assert.equal(run("{.a[0:2]}", { a: [[1], { k: "v" }] }), '[1] {"k":"v"}');
    assert.equal(run("plain text", data), "plain text");
    assert.equal(run('{"{"}{.o.y}{"}"}', data), "{true}");
  });

  it("reads escaped dots in keys and the wildcard over a map", () => {
    assert.equal(run("{.o.a\\.b}", data), "dot");
    assert.equal(run("{.o['a\\.b']}", data), "dot");
    assert.equal(run("{.s[0].*}", data), "2 two");
  });

  it("nests ranges and leaves missing keys empty", () => {
    const nested = { items: [{ name: "a", c: [{ i: "x" }, { i: "y" }] }, { name: "b", c: [] }] };
    assert.equal(run("{range .items[*]}{.name}:{range .c[*]}{.i},{end};{end}", nested), "a:x,y,;b:;");
    assert.equal(run("{.missing.deeper}", nested), "");
    assert.throws(() => new JsonPathTemplate("{.missing}", { allowMissingKeys: false }).execute(nested), /missing is not found/);
  });

  it("refuses what kubectl refuses", () => {
    assert.throws(() => run("{.a[9]}", data), (e: unknown) => e instanceof JsonPathError && /array index out of bounds: index 9, length 6/.test(e.message));
    assert.throws(() => run("{.a", data), /unclosed action/);
    assert.throws(() => run("{range .a[*]}", data), /missing \{end\}/);
    assert.throws(() => run("{end}", data), /not in range/);
    assert.throws(() => run("{.a[x]}", data), /invalid array index x/);
    assert.throws(() => run("{.o[0]}", data), /not array or slice/);
    assert.throws(() => run("{bogus}", data), /unrecognized identifier bogus/);
  });

  it("relaxes custom-columns and --sort-by specs to a template", () => {
    assert.equal(relaxedJsonPath(".metadata.name"), "{.metadata.name}");
    assert.equal(relaxedJsonPath("metadata.name"), "{.metadata.name}");
    assert.equal(relaxedJsonPath("{.metadata.name}"), "{.metadata.name}");
    assert.equal(relaxedJsonPath("{metadata.name}"), "{.metadata.name}");
    assert.throws(() => relaxedJsonPath("{a}{b}"), JsonPathError);
  });
});

// kubectl evaluates its JSONPath offline on `config view`: the documentation's data rides in a
// kubeconfig extension, and both engines render the same templates over it.
const KUBECTL = "/usr/bin/kubectl";
describe("agreement with kubectl", { skip: !existsSync(KUBECTL) && "kubectl is not installed" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "kpctl-jsonpath-"));
  const kubeconfig = join(dir, "config");
  const extension = { ...DOC, numbers: { int: 8, float: 1.5 }, flags: [true, false] };
  writeFileSync(kubeconfig, stringify({ apiVersion: "v1", kind: "Config", preferences: { extensions: [{ name: "doc", extension }] }, clusters: [] }));
  const prefix = (t: string): string => `{range .preferences.extensions[0].extension}${t}{end}`;
  const kubectl = (template: string): string =>
    execFileSync(KUBECTL, ["config", "view", "-o", `jsonpath=${prefix(template)}`], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: "utf8", timeout: 20_000 });
  const templates = [
    "{.kind}",
    "{['kind']}",
    "{.items[*].metadata.name}",
    "{.items[*]['metadata.name', 'status.capacity']}",
    '{.users[?(@.name=="e2e")].user.password}',
    "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
    '{range .items[*]}{.metadata.name}{"\\t"}{.status.addresses[*].address}{"\\n"}{end}',
    "{.items[0].metadata.labels.kubernetes\\.io/hostname}",
    "{.items[-1:].metadata.name}",
    "{.items[0:1].status.addresses[0]}",
    "{.items[*].status.addresses[?(@.type!='another')].address}",
    "{.items[1].status..address}",
    // (Not a large integer: extensions decode numbers as float64, printed 1.2e+06, where objects of `get` hold int64.)
    "{.numbers.int} {.numbers.float} {.flags}",
    "{.users[?(@.user.username)].name}",
    "{.nothing}",
  ];
  for (const template of templates) {
    it(`renders ${template} as kubectl does`, () => {
      const data = JSON.parse(execFileSync(KUBECTL, ["config", "view", "-o", "json"], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: "utf8" })) as unknown;
      assert.equal(new JsonPathTemplate(prefix(template)).execute(data), kubectl(template));
    });
  }
  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});
