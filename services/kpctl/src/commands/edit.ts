// `kpctl edit`: opens objects in $KUBE_EDITOR/$EDITOR as YAML, writes back what changed, and reopens the file with the error on top.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isApiError } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parse } from "yaml";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { isRecord, jsonEqual, str } from "../json-fields.js";
import { manifestKind, resolveTargets } from "../object-targets.js";
import { asList, formatData } from "../printers/yaml-json.js";
import { objectRef, qualifiedResource } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { FILENAME_FLAG } from "./shared-flags.js";

const HEADER = [
  "# Please edit the object below. Lines beginning with a '#' will be ignored,",
  "# and an empty file will abort the edit. If an error occurs while saving this file will be",
  "# reopened with the relevant failures.",
  "#",
].join("\n");

/** The editor command line: $KUBE_EDITOR, else $EDITOR, else vi (run through sh, as kubectl does, so it may carry arguments). */
export function editorCommand(env: Record<string, string | undefined>): string {
  return env.KUBE_EDITOR?.trim() || env.EDITOR?.trim() || "vi";
}

async function runEditor(ctx: CommandContext, file: string): Promise<void> {
  const editor = editorCommand(ctx.io.env);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit", env: { ...process.env, ...ctx.io.env } as NodeJS.ProcessEnv });
    child.once("error", reject);
    child.once("exit", (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new KpctlError(`there was a problem with the editor "${editor}" (exit code ${code})`, "EEDITOR");
}

/** The document without comment lines; empty when only comments and blanks remain. */
export function stripComments(text: string): string {
  return text
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .join("\n")
    .trim();
}

function errorHeader(errors: readonly string[]): string {
  return errors.length ? `${HEADER}\n${errors.map((e) => `# ${e.replace(/\n/g, "\n# ")}`).join("\n#\n")}\n#\n` : `${HEADER}\n`;
}

function objectsOf(doc: unknown): JsonObject[] {
  if (isRecord(doc) && doc.kind === "List" && Array.isArray(doc.items)) return doc.items.filter(isRecord) as JsonObject[];
  if (isRecord(doc)) return [doc as JsonObject];
  throw new KpctlError("the edited file is not an object or a List of objects", "EEDIT");
}

function apiErrorText(err: unknown, obj: JsonObject): string {
  if (!isApiError(err)) return err instanceof Error ? err.message : String(err);
  const info = manifestKind(obj, "edit");
  const causes = err.status.details?.causes ?? [];
  if (err.reason === "Invalid" && causes.length) {
    return `${qualifiedResource(info)} "${str(obj, "metadata", "name")}" was not valid:\n${causes.map((c) => `* ${c.field && !c.message.startsWith(c.field) ? `${c.field}: ` : ""}${c.message}`).join("\n")}`;
  }
  return errorLine(err, "").replace(/^Error from server \(\w+\): /, "");
}

export const editCommand: Command = {
  name: "edit",
  summary: "Edit a resource on the server with your editor ($KUBE_EDITOR, $EDITOR, or vi).\nWhen saving fails (invalid, conflict), the file is reopened with the errors on top; an empty file or an unchanged one cancels.",
  usage: "kpctl edit (TYPE NAME | TYPE/NAME | -f FILENAME) [options]",
  examples: ["  # Edit the service named web", "  kpctl edit svc/web", "", "  # Edit a deployment with nano", "  KUBE_EDITOR=nano kpctl edit deploy web"].join("\n"),
  flags: [FILENAME_FLAG, { name: "output", short: "o", type: "string", default: "yaml", description: "The format edited: yaml or json." }],
  async run(ctx) {
    const format = ctx.flags.string("output") ?? "yaml";
    if (format !== "yaml" && format !== "json") throw new UsageError(`the edit format must be yaml or json, not "${format}"`);
    const targets = await resolveTargets(ctx);
    if (targets.length === 0) throw new KpctlError("no objects to edit", "EEDIT");
    const json = ctx.client().json;
    const originals: JsonObject[] = [];
    for (const t of targets) originals.push({ apiVersion: t.info.apiVersion, kind: t.info.kind, ...(await json.get(t.info, t.namespace, t.name, { signal: ctx.io.signal })) });
    const dir = await mkdtemp(join(tmpdir(), "kpctl-edit-"));
    const file = join(dir, `${targets.length === 1 ? `${targets[0]!.info.resource}-${targets[0]!.name}` : "edit"}.${format}`);
    try {
      let body = formatData(originals.length === 1 ? originals[0] : asList(originals), format);
      let errors: string[] = [];
      let previous: string | undefined;
      for (;;) {
        await writeFile(file, `${errorHeader(errors)}${body}`);
        await runEditor(ctx, file);
        const edited = stripComments(await readFile(file, "utf8"));
        if (edited === "") {
          ctx.err("Edit cancelled, no changes made.\n");
          return 0;
        }
        if (previous !== undefined && edited === previous) {
          ctx.err("error: Edit cancelled, no valid changes were saved.\n");
          return 1;
        }
        previous = edited;
        let objects: JsonObject[];
        try {
          objects = objectsOf(parse(edited));
        } catch (err) {
          errors = [`The edited file had a syntax error: ${(err as Error).message}`];
          body = `${edited}\n`;
          continue;
        }
        errors = [];
        let changed = 0;
        for (const obj of objects) {
          const original = originals.find((o) => o.kind === obj.kind && str(o, "metadata", "name") === str(obj, "metadata", "name"));
          if (!original) {
            errors.push(`${String(obj.kind)} "${str(obj, "metadata", "name")}" is not one of the objects being edited (the kind and name cannot change)`);
            continue;
          }
          if (jsonEqual(original, obj)) continue;
          try {
            const info = manifestKind(obj, file);
            await json.update(info, obj, { signal: ctx.io.signal });
            ctx.out(`${objectRef(info, str(obj, "metadata", "name"))} edited\n`);
            changed++;
          } catch (err) {
            if (isConnectionFailure(err)) throw err;
            errors.push(apiErrorText(err, obj));
          }
        }
        if (errors.length === 0) {
          if (changed === 0) ctx.err("Edit cancelled, no changes made.\n");
          return 0;
        }
        body = `${edited}\n`;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
