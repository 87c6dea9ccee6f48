// Tests of `kpctl completion`: the generated bash script completes commands, flags and kinds when bash runs it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

async function script(shell: string): Promise<string> {
  const io = fakeIo(new FakeApi());
  assert.equal(await run(["completion", shell], io), 0);
  return io.stdout.text;
}

/** What bash's completion function offers for a command line (the last word is being completed). */
function complete(bash: string, words: string[]): string[] {
  const program = `${bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _kpctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("/bin/bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8", env: { PATH: "/nonexistent" } }).split("\n").filter(Boolean);
}

test("the bash script completes commands, a command's flags and resource types", async () => {
  const bash = await script("bash");
  assert.deepEqual(complete(bash, ["kpctl", "ap"]), ["apply", "api-resources", "api-versions"]);
  assert.ok(complete(bash, ["kpctl", "get", "--so"]).includes("--sort-by="));
  assert.ok(complete(bash, ["kpctl", "wait", "--f"]).includes("--for="));
  assert.deepEqual(complete(bash, ["kpctl", "get", "deploy"]), ["deploy", "deployment", "deployments"]);
  assert.deepEqual(complete(bash, ["kpctl", "label", "pods", "w"]), [], "names come from kpctl get, absent here");
});

test("the zsh script wraps the bash function; other shells are refused", async () => {
  const zsh = await script("zsh");
  assert.match(zsh, /^#compdef kpctl\n/);
  assert.match(zsh, /bashcompinit/);
  assert.match(zsh, /complete -o default -F _kpctl kpctl/);
  const io = fakeIo(new FakeApi());
  assert.equal(await run(["completion", "fish"], io), 1);
});
