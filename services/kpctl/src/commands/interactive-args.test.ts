// Tests of the argument forms of `port-forward` and `cp`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../args.js";
import { parseRemote } from "./cp.js";
import { parsePortSpec } from "./port-forward.js";

test("port specs: LOCAL:REMOTE, REMOTE alone, :REMOTE for a free local port, names on the remote side", () => {
  assert.deepEqual(parsePortSpec("8080:80"), { local: 8080, remote: "80" });
  assert.deepEqual(parsePortSpec("5000"), { local: 5000, remote: "5000" });
  assert.deepEqual(parsePortSpec(":80"), { local: 0, remote: "80" });
  assert.deepEqual(parsePortSpec("8080:http"), { local: 8080, remote: "http" });
  assert.throws(() => parsePortSpec("70000:80"), UsageError);
  assert.throws(() => parsePortSpec("8080:0"), UsageError);
  assert.throws(() => parsePortSpec("x:80"), UsageError);
});

test("cp arguments: [namespace/]pod:path is remote, anything else local", () => {
  assert.deepEqual(parseRemote("web:/etc/hosts"), { pod: "web", path: "/etc/hosts" });
  assert.deepEqual(parseRemote("shop/web-1:tmp/x"), { namespace: "shop", pod: "web-1", path: "tmp/x" });
  assert.equal(parseRemote("./local/file"), undefined);
  assert.equal(parseRemote("/abs/path:with-colon"), undefined);
  assert.throws(() => parseRemote("web:"), /filepath can not be empty/);
});
