// `kpctl image import FILE.tar` and `kpctl image ls`: images loaded into nodes' container runtimes through their kubelets (offline clusters).
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import type { Command, CommandContext } from "./command.js";

const nodes = kindFor("v1", "Node") as KindInfo;

/** The nodes named by --node (comma-separated), or every node of the cluster. */
async function targetNodes(ctx: CommandContext): Promise<string[]> {
  const flag = ctx.flags.string("node") ?? "";
  if (flag) return flag.split(",").map((n) => n.trim()).filter(Boolean);
  const list = await ctx.client().json.list(nodes, {});
  return list.items.map((n) => String((n.metadata as { name?: string } | undefined)?.name ?? "")).sort();
}

/** Human size as crictl prints it (MB with one decimal under 1 GB). */
function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)}GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)}MB`;
  return `${(bytes / 1e3).toFixed(1)}kB`;
}

async function importCommand(ctx: CommandContext, file: string | undefined): Promise<number> {
  if (!file) throw new UsageError("error: an image archive (FILE.tar: OCI image layout or docker-archive) is required");
  await access(file).catch(() => {
    throw new KpctlError(`error: the archive "${file}" cannot be read`, "ENOENT");
  });
  const client = ctx.client();
  if (!client.importImages) throw new KpctlError("this client cannot import images", "ENOIMPORT");
  let failed = false;
  for (const node of await targetNodes(ctx)) {
    ctx.out(`${node}: importing ${file}\n`);
    try {
      const images = await client.importImages(node, createReadStream(file, { highWaterMark: 1 << 20 }), ctx.io.signal);
      if (images.length === 0) ctx.err(`warning: ${node}: the archive held no named image (an OCI layout needs the io.containerd.image.name or org.opencontainers.image.ref.name annotation)\n`);
      for (const image of images) ctx.out(`${node}: imported ${image}\n`);
    } catch (err) {
      failed = true;
      ctx.err(`error: ${node}: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

async function listCommand(ctx: CommandContext): Promise<number> {
  const client = ctx.client();
  if (!client.listImages) throw new KpctlError("this client cannot list images", "ENOIMPORT");
  const rows: string[][] = [["NODE", "IMAGE", "IMAGE ID", "SIZE"]];
  for (const node of await targetNodes(ctx)) {
    for (const image of await client.listImages(node, ctx.io.signal)) {
      const id = image.id.replace(/^sha256:/, "").slice(0, 13);
      for (const tag of image.repoTags.length ? image.repoTags : ["<none>"]) rows.push([node, tag, id, size(image.size)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) ctx.out(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("")}\n`);
  return 0;
}

export const imageCommand: Command = {
  name: "image",
  summary: "Import image archives into nodes' container runtimes (offline clusters) and list their images.",
  usage: "kpctl image (import FILE.tar | ls) [--node NODE[,NODE...]]",
  examples: [
    "  # Export an image from a registry and load it on every node, under a new name",
    "  skopeo copy docker://127.0.0.1:5000/library/busybox:1.36 docker-archive:bb.tar:tools.example/busybox:offline",
    "  kpctl image import bb.tar",
    "",
    "  # The images node-1 has",
    "  kpctl image ls --node node-1",
  ].join("\n"),
  flags: [{ name: "node", type: "string", description: "The nodes (comma-separated); default every node." }],
  async run(ctx) {
    const [verb, ...rest] = ctx.args;
    if (verb === "import") return importCommand(ctx, rest[0]);
    if (verb === "ls" || verb === "list") return listCommand(ctx);
    throw new UsageError(`error: unknown image command "${verb ?? ""}": use import or ls`);
  },
};
