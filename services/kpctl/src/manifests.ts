// Loads manifests for apply/delete/create -f: files, directories (*.yaml, *.yml, *.json sorted) or stdin; multi-document, Lists flattened.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { JsonObject } from "@kubeplane/client";
import { parseAllDocuments } from "yaml";
import { KpctlError } from "./errors.js";
import { isRecord } from "./json-fields.js";

/** One object of a manifest and where it came from ("STDIN" for `-`). */
export interface Manifest {
  object: JsonObject;
  source: string;
}

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/**
 * Every object of a text, in order: YAML documents (JSON is YAML), empty documents skipped,
 * `kind: List` (or `…List` with items) expanded. Throws a KpctlError naming the source and line.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0]?.line;
      const where = line === undefined ? "" : ` line ${line}:`;
      throw new KpctlError(`error parsing ${source}: yaml:${where} ${first.message.split("\n")[0]}`, "EMANIFEST", { cause: first });
    }
    const value: unknown = doc.toJS();
    if (value == null) continue;
    out.push(...expand(value, source));
  }
  return out;
}

function expand(value: unknown, source: string): Manifest[] {
  if (!isRecord(value)) throw new KpctlError(`error validating "${source}": a manifest must be a mapping, got ${JSON.stringify(value)}`, "EMANIFEST");
  const kind = value.kind;
  if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value.items)) {
    return value.items.flatMap((item) => expand(item, source));
  }
  const missing = [typeof value.apiVersion === "string" && value.apiVersion ? "" : "apiVersion not set", typeof kind === "string" && kind ? "" : "kind not set"].filter(Boolean);
  if (missing.length) throw new KpctlError(`error validating "${source}": error validating data: [${missing.join(", ")}]`, "EMANIFEST");
  return [{ object: value as JsonObject, source }];
}

/** The files a -f argument names: the file, or a directory's manifests in name order (with `recursive`, its subdirectories' too). */
export async function manifestFiles(path: string, recursive = false): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new KpctlError(`the path "${path}" does not exist`, "EMANIFEST", { cause: err });
  }
  if (!info.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...(await manifestFiles(full, true)));
    } else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
  return out;
}

export async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
  chunks.push(decoder.decode());
  return chunks.join("");
}

/** Every object of every -f argument, in order; `-` reads stdin once; `recursive` (-R) descends into subdirectories. */
export async function loadManifests(paths: readonly string[], stdin: AsyncIterable<string | Uint8Array>, opts: { recursive?: boolean } = {}): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const path of paths) {
    if (path === "-") {
      out.push(...parseManifests(await readAll(stdin), "STDIN"));
      continue;
    }
    for (const file of await manifestFiles(path, opts.recursive)) out.push(...parseManifests(await readFile(file, "utf8"), file));
  }
  return out;
}
