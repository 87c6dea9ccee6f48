// `kpctl cp`: copies files and directories into and out of a container as kubectl does, as a tar stream through an exec of the container's own tar.
import { createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { extract, pack, type Header as TarHeader } from "tar-stream";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import type { CommandContext, Command } from "./command.js";

/** A `[namespace/]pod:path` argument, or undefined for a local path. */
export function parseRemote(arg: string): { namespace?: string; pod: string; path: string } | undefined {
  const m = /^(?:([a-z0-9][-a-z0-9.]*)\/)?([a-z0-9][-a-z0-9.]*):(.*)$/.exec(arg);
  if (!m) return undefined;
  if (!m[3]) throw new UsageError(`filepath can not be empty in "${arg}"`);
  return { ...(m[1] ? { namespace: m[1] } : {}), pod: m[2]!, path: m[3] };
}

/** Runs `command` in the container with `input` as stdin (if any); resolves with its stdout bytes streamed to `onStdout`, rejects with its stderr on failure. */
async function execTar(ctx: CommandContext, target: { namespace: string; pod: string; container: string }, command: string[], onStdout: (b: Buffer) => void, input?: AsyncIterable<Uint8Array>): Promise<void> {
  const client = ctx.client();
  if (!client.podExecStream) throw new Error("this client cannot stream exec sessions");
  let stderr = "";
  const session = client.podExecStream(
    target.namespace,
    target.pod,
    { container: target.container, command, stdin: input !== undefined, stdout: true, stderr: true, tty: false },
    { stdout: onStdout, stderr: (b) => void (stderr += b.toString("utf8")) },
    ctx.io.signal,
  );
  if (input) {
    for await (const chunk of input) session.write(chunk);
    session.endStdin();
  }
  const code = await session.done;
  if (code !== 0) throw new KpctlError(`${command.join(" ")} in ${target.pod} failed (exit code ${code}): ${stderr.trim()}`, "ECP");
}

/** Whether `child` stays inside `root` (tar entries naming `..` or absolute paths are refused, as kubectl). */
function inside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
}

async function copyFromPod(ctx: CommandContext, src: { namespace: string; pod: string; container: string; path: string }, dest: string): Promise<void> {
  const srcPath = posix.normalize(src.path);
  const base = posix.basename(srcPath);
  const destStat = await stat(dest).catch(() => undefined);
  const root = resolve(destStat?.isDirectory() ? dest : dirname(dest));
  const rename = destStat?.isDirectory() ? base : posix.basename(dest);
  const untar = extract();
  const finished = new Promise<void>((ok, fail) => {
    untar.on("finish", ok);
    untar.on("error", fail);
  });
  untar.on("entry", (header: TarHeader, stream, next) => {
    const name = posix.normalize(header.name).replace(/\/$/, "");
    const mapped = name === base ? rename : name.startsWith(`${base}/`) ? `${rename}${name.slice(base.length)}` : undefined;
    const target = mapped === undefined ? undefined : resolve(root, mapped);
    const skip = (why: string): void => {
      ctx.err(`warning: skipping ${header.name}: ${why}\n`);
      stream.resume();
      next();
    };
    if (!target || !inside(root, target)) return skip("outside the destination");
    if (header.type === "directory") {
      mkdir(target, { recursive: true }).then(() => (stream.resume(), next()), (err: Error) => next(err));
    } else if (header.type === "file") {
      // tar-stream's own pattern (its entry is a streamx stream): pipe it, go on when the file is written.
      mkdir(dirname(target), { recursive: true }).then(() => {
        const out = createWriteStream(target, { mode: header.mode ?? 0o644 });
        out.on("finish", () => next());
        out.on("error", (err: Error) => next(err));
        stream.on("error", (err: Error) => next(err));
        stream.pipe(out);
      }, (err: Error) => next(err));
    } else skip(`${header.type ?? "unknown"} entries are not copied`);
  });
  await execTar(ctx, src, ["tar", "cf", "-", "-C", posix.dirname(srcPath), base], (b) => void untar.write(b));
  untar.end(undefined);
  await finished;
}

async function copyToPod(ctx: CommandContext, src: string, dest: { namespace: string; pod: string; container: string; path: string }): Promise<void> {
  const info = await stat(src).catch(() => undefined);
  if (!info) throw new KpctlError(`${src} doesn't exist in local filesystem`, "ENOENT");
  const intoDir = dest.path.endsWith("/");
  const destPath = posix.normalize(dest.path);
  const destDir = intoDir ? destPath : posix.dirname(destPath);
  const destBase = intoDir ? posix.basename(resolve(src)) : posix.basename(destPath);
  const archive = pack();
  const add = async (local: string, name: string): Promise<void> => {
    const st = await lstat(local);
    if (st.isDirectory()) {
      archive.entry({ name, type: "directory", mode: st.mode & 0o7777 });
      for (const child of (await readdir(local)).sort()) await add(join(local, child), `${name}/${child}`);
    } else if (st.isFile()) {
      archive.entry({ name, type: "file", mode: st.mode & 0o7777, size: st.size }, await readFile(local));
    } else ctx.err(`warning: skipping ${local}: not a regular file or directory\n`);
  };
  const packing = add(src, destBase).then(() => archive.finalize());
  await Promise.all([packing, execTar(ctx, dest, ["tar", "xf", "-", "-C", destDir], () => undefined, archive as AsyncIterable<Uint8Array>)]);
}

export const cpCommand: Command = {
  name: "cp",
  summary: "Copy files and directories to and from containers.",
  usage: "kpctl cp [NAMESPACE/]POD:PATH LOCAL_PATH | LOCAL_PATH [NAMESPACE/]POD:PATH [-c CONTAINER]",
  examples: [
    "  # A file out of pod web",
    "  kpctl cp web:/etc/hosts ./hosts",
    "",
    "  # A local directory into pod web in namespace shop (the container needs tar)",
    "  kpctl cp ./site shop/web:/www",
  ].join("\n"),
  flags: [{ name: "container", short: "c", type: "string", description: "Container name (required when the pod has several)." }],
  async run(ctx) {
    const [from, to, ...extra] = ctx.args;
    if (!from || !to || extra.length) throw new UsageError("source and destination are required: kpctl cp SRC DEST");
    const container = ctx.flags.string("container") ?? "";
    const [remoteFrom, remoteTo] = [parseRemote(from), parseRemote(to)];
    if (remoteFrom && remoteTo) throw new UsageError("one of src or dest must be a local file specification");
    if (!remoteFrom && !remoteTo) throw new UsageError("one of src or dest must be a remote file specification");
    if (remoteFrom) await copyFromPod(ctx, { namespace: remoteFrom.namespace ?? ctx.settings.namespace, pod: remoteFrom.pod, container, path: remoteFrom.path }, to);
    else await copyToPod(ctx, from, { namespace: remoteTo!.namespace ?? ctx.settings.namespace, pod: remoteTo!.pod, container, path: remoteTo!.path });
    return 0;
  },
};
