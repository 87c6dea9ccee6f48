// `kpctl diff -f`: what apply would change, from a server-side dry run of each manifest, shown by `diff -u -N` (or $KUBECTL_EXTERNAL_DIFF).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isNotFound } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { planApply } from "../apply-plan.js";
import { KpctlError } from "../errors.js";
import { isRecord, str } from "../json-fields.js";
import { loadManifests } from "../manifests.js";
import { manifestKind } from "../object-targets.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command, CommandContext } from "./command.js";
import { FILENAME_FLAG, RECURSIVE_FLAG, withNamespace } from "./shared-flags.js";

/** Fields that change on every write and would only be noise in a diff (kubectl masks them too). */
function masked(obj: JsonObject | undefined): JsonObject | undefined {
  if (!obj) return undefined;
  const out = structuredClone(obj);
  if (isRecord(out.metadata)) {
    delete out.metadata.managedFields;
    delete out.metadata.generation;
    delete out.metadata.resourceVersion;
  }
  return out;
}

/** The diff program's output and exit code (0 same, 1 different, above: trouble). */
async function runDiff(ctx: CommandContext, live: string, merged: string): Promise<{ code: number; output: string; errors: string }> {
  const external = ctx.io.env.KUBECTL_EXTERNAL_DIFF?.trim();
  const [program, ...args] = external ? external.split(/\s+/) : ["diff", "-u", "-N"];
  return new Promise((resolve, reject) => {
    const child = spawn(program as string, [...args, live, merged], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let errors = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (errors += d));
    child.once("error", (err) => reject(new KpctlError(`failed to run "${program as string}": ${err.message}`, "EDIFF", { cause: err })));
    child.once("close", (code) => resolve({ code: code ?? 2, output, errors }));
  });
}

export const diffCommand: Command = {
  name: "diff",
  summary: "Diff the live version against what apply would make of it.\nEach manifest goes through apply's merge and a server-side dry run (defaults and validation included); the result is compared with `diff -u -N`, or $KUBECTL_EXTERNAL_DIFF. Exits 0 with no differences, 1 with some, above 1 on error.",
  usage: "kpctl diff -f FILENAME [-R] [options]",
  examples: ["  # What applying the manifests would change", "  kpctl diff -f ./manifests -R", "", "  # With another diff tool", "  KUBECTL_EXTERNAL_DIFF='diff -u --color=always' kpctl diff -f web.yaml"].join("\n"),
  flags: [FILENAME_FLAG, RECURSIVE_FLAG],
  async run(ctx) {
    const files = ctx.flags.strings("filename");
    if (files.length === 0) throw new UsageError("must specify -f FILENAME");
    if (ctx.args.length) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
    const json = ctx.client().json;
    const dir = await mkdtemp(join(tmpdir(), "kpctl-diff-"));
    try {
      const [liveDir, mergedDir] = [join(dir, "LIVE"), join(dir, "MERGED")];
      await mkdir(liveDir);
      await mkdir(mergedDir);
      for (const { object, source } of await loadManifests(files, ctx.io.stdin, { recursive: ctx.flags.boolean("recursive") })) {
        const info = manifestKind(object, source);
        const desired = withNamespace(ctx, info, object);
        const [namespace, name] = [str(desired, "metadata", "namespace"), str(desired, "metadata", "name")];
        let live: JsonObject | undefined;
        try {
          live = await json.get(info, namespace, name, { signal: ctx.io.signal });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        const plan = planApply(desired, live);
        const merged =
          plan.action === "unchanged" ? live
          : plan.action === "create" ? await json.create(info, plan.object, { dryRun: true, signal: ctx.io.signal })
          : await json.update(info, plan.object, { dryRun: true, signal: ctx.io.signal });
        const file = [info.group ? `${info.group}.${info.version}` : info.version, info.kind, namespace, name].filter(Boolean).join(".");
        const typed = (o: JsonObject | undefined): JsonObject | undefined => (o ? { apiVersion: info.apiVersion, kind: info.kind, ...o } : undefined);
        const [l, m] = [masked(typed(live)), masked(typed(merged))];
        if (l) await writeFile(join(liveDir, file), formatData(l, "yaml"));
        if (m) await writeFile(join(mergedDir, file), formatData(m, "yaml"));
      }
      const result = await runDiff(ctx, liveDir, mergedDir);
      ctx.out(result.output);
      if (result.errors) ctx.err(result.errors);
      return result.code;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
