// Runs an interactive exec or attach session for kpctl: stdin forwarded, raw mode and resizes on a terminal, output decoded to stdout/stderr, the remote exit code returned.
import type { PodStreamOptions, PodStreamOutput, PodStreamSession } from "@kubeplane/client";
import type { CommandContext } from "./command.js";

/** What the command asks for: `-i` and `-t` as kubectl. */
export interface SessionFlags {
  stdin: boolean;
  tty: boolean;
  container: string;
  command?: string[];
}

type Open = (opts: PodStreamOptions, output: PodStreamOutput) => PodStreamSession;

/**
 * Opens the session with `open`, relays until the remote command ends and resolves with its exit
 * code (kubectl's "command terminated with exit code N" on stderr when non-zero). `-t` without a
 * terminal on stdin falls back to no tty with kubectl's warning. The terminal is left in its mode
 * of before on every path.
 */
export async function runRemoteSession(ctx: CommandContext, flags: SessionFlags, open: Open): Promise<number> {
  let tty = flags.tty;
  const terminal = tty && flags.stdin ? ctx.io.terminal : undefined;
  if (tty && !terminal) {
    ctx.err("Unable to use a TTY - input is not a terminal or the right kind of file\n");
    tty = false;
  }
  const decoders = { out: new TextDecoder(), err: new TextDecoder() };
  const session = open(
    { container: flags.container, ...(flags.command ? { command: flags.command } : {}), stdin: flags.stdin, stdout: true, stderr: !tty, tty, ...(terminal ? { size: terminal.size() } : {}) },
    {
      stdout: (data) => ctx.out(decoders.out.decode(data, { stream: true })),
      stderr: (data) => ctx.err(decoders.err.decode(data, { stream: true })),
    },
  );
  const onAbort = (): void => session.cancel();
  ctx.io.signal?.addEventListener("abort", onAbort, { once: true });
  const input = flags.stdin ? ctx.io.stdin[Symbol.asyncIterator]() : undefined;
  let stopResize = (): void => undefined;
  if (terminal) {
    terminal.setRawMode(true);
    stopResize = terminal.onResize(() => {
      const { width, height } = terminal.size();
      session.resize(width, height);
    });
  }
  const pump = async (): Promise<void> => {
    if (!input) return;
    for (;;) {
      const next = await input.next();
      if (next.done) break;
      const chunk = next.value;
      session.write(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    }
    session.endStdin();
  };
  const pumping = pump().catch(() => undefined);
  try {
    const code = await session.done;
    if (code !== 0) ctx.err(`command terminated with exit code ${code}\n`);
    return code;
  } finally {
    stopResize();
    if (terminal) terminal.setRawMode(false);
    ctx.io.signal?.removeEventListener("abort", onAbort);
    // Stop reading stdin: a pending read keeps the process alive, and an async iterator's return()
    // waits behind it, so the stream itself (process.stdin) is destroyed, which ends the read.
    if (input) {
      const stream = ctx.io.stdin as { destroy?: () => void };
      if (typeof stream.destroy === "function") stream.destroy();
      else void input.return?.();
    }
    await pumping;
  }
}
