// `kpctl encryption rewrite [RESOURCE...]`: rewrites every stored object of a kind through the apiserver, so that each is
// encrypted with the apiserver's current first key (the re-encryption step of a key rotation, docs/security.md).
import { isConflict, isGone, isNotFound, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { kindByName } from "../kind-args.js";
import type { Command, CommandContext } from "./command.js";

/** How often an object whose write lost a race is read again and rewritten. */
const CONFLICT_RETRIES = 5;

interface Tally {
  rewritten: number;
  current: number;
  gone: number;
  failed: number;
}

const metaOf = (obj: JsonObject): { name: string; namespace: string; resourceVersion: string } => {
  const m = (obj.metadata ?? {}) as Record<string, unknown>;
  return { name: String(m.name ?? ""), namespace: String(m.namespace ?? ""), resourceVersion: String(m.resourceVersion ?? "") };
};

/**
 * Updates `obj` unchanged with its resourceVersion. The apiserver skips a write that changes
 * nothing unless the stored value is stale (another key, no bound etcd key, unencrypted), so a new
 * resourceVersion means it was re-encrypted. A Conflict reads the object again and retries.
 */
async function rewriteOne(ctx: CommandContext, info: KindInfo, obj: JsonObject, tally: Tally): Promise<void> {
  const json = ctx.client().json;
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const { name, namespace, resourceVersion } = metaOf(current);
    try {
      const written = await json.update(info, current);
      if (metaOf(written).resourceVersion === resourceVersion) tally.current++;
      else tally.rewritten++;
      return;
    } catch (err) {
      if (isNotFound(err)) {
        tally.gone++;
        return;
      }
      if (!isConflict(err) || attempt >= CONFLICT_RETRIES) {
        tally.failed++;
        ctx.err(`error: ${info.resource} ${namespace ? `${namespace}/` : ""}${name}: ${(err as Error).message}\n`);
        return;
      }
      try {
        current = await json.get(info, namespace, name);
      } catch (getErr) {
        if (isNotFound(getErr)) {
          tally.gone++;
          return;
        }
        throw getErr;
      }
    }
  }
}

/** Every object of `info` in every namespace, a page at a time; a continue token compacted away starts the list again (rewritten objects are then no-ops). */
async function rewriteKind(ctx: CommandContext, info: KindInfo, chunkSize: number): Promise<Tally> {
  const tally: Tally = { rewritten: 0, current: 0, gone: 0, failed: 0 };
  const json = ctx.client().json;
  let continueToken = "";
  let seen = 0;
  do {
    let page;
    try {
      page = await json.list(info, { limit: chunkSize, ...(continueToken ? { continueToken } : {}) });
    } catch (err) {
      if (!continueToken || !isGone(err)) throw err;
      ctx.err(`${info.resource}: the list expired (compacted); listing again from the start\n`);
      continueToken = "";
      continue;
    }
    for (const obj of page.items) await rewriteOne(ctx, info, obj, tally);
    seen += page.items.length;
    continueToken = page.continueToken ?? "";
    ctx.err(`${info.resource}: ${seen} processed (${tally.rewritten} rewritten, ${tally.current} already current)${continueToken ? ", continuing" : ""}\n`);
  } while (continueToken);
  return tally;
}

async function rewrite(ctx: CommandContext): Promise<number> {
  const names = ctx.args.slice(1);
  const infos = (names.length ? names : ["secrets"]).map(kindByName);
  const raw = ctx.flags.string("chunk-size") ?? "500";
  const chunkSize = Number(raw);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageError(`--chunk-size must be a positive integer, not "${raw}"`);
  let failed = 0;
  for (const info of infos) {
    const t = await rewriteKind(ctx, info, chunkSize);
    failed += t.failed;
    const group = info.group ? `.${info.group}` : "";
    ctx.out(`${info.resource}${group}: ${t.rewritten} rewritten, ${t.current} already current, ${t.gone} deleted meanwhile, ${t.failed} failed\n`);
  }
  return failed ? 1 : 0;
}

export const encryptionCommand: Command = {
  name: "encryption",
  summary: "Rewrite stored objects so they are encrypted with the apiserver's current key (key rotation).",
  usage: "kpctl encryption rewrite [RESOURCE...] [--chunk-size N]",
  examples: [
    "  # After moving a new key first on every apiserver and restarting them: re-encrypt every Secret",
    "  kpctl encryption rewrite",
    "",
    "  # Also ConfigMaps, when the EncryptionConfiguration covers them",
    "  kpctl encryption rewrite secrets configmaps",
  ].join("\n"),
  flags: [{ name: "chunk-size", type: "string", default: "500", value: "N", description: "Objects listed per page." }],
  async run(ctx) {
    if (ctx.args[0] === "rewrite") return rewrite(ctx);
    throw new UsageError(ctx.args[0] ? `unknown encryption subcommand "${ctx.args[0]}"` : "encryption needs a subcommand: rewrite");
  },
};
