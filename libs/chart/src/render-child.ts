// The render process's entry: receives one RenderJob over IPC, renders it, answers once and exits.
import { renderChartUnsandboxed, type RenderJob } from "./render.js";
import type { RenderResult } from "./types.js";

/** The one message the render process sends back. */
export type RenderReply =
  | { ok: true; result: RenderResult }
  | { ok: false; error: { name: string; code?: string; message: string; file?: string; line?: number; problems?: unknown } };

function reply(message: RenderReply): void {
  // disconnect only after the reply is flushed, so a large result is not cut off.
  process.send?.(message, undefined, {}, () => process.disconnect());
}

process.once("message", (job: RenderJob) => {
  try {
    reply({ ok: true, result: renderChartUnsandboxed(job) });
  } catch (err) {
    const e = err as Partial<{ name: string; code: string; message: string; file: string; line: number; problems: unknown }>;
    reply({ ok: false, error: { name: e.name ?? "Error", code: e.code, message: e.message ?? String(err), file: e.file, line: e.line, problems: e.problems } });
  }
});
