// Renders a chart in a child process with a time limit (a kill timer) and a heap limit (--max-old-space-size).
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ChartError,
  ChartLoadError,
  ManifestError,
  RenderLimitError,
  RenderProcessError,
  SchemaValidationError,
  TemplateError,
  ValuesError,
  type SchemaProblem,
} from "./errors.js";
import type { RenderJob } from "./render.js";
import type { RenderReply } from "./render-child.js";
import type { RenderResult } from "./types.js";

/** The limits of one render. Defaults: 10 s, 256 MiB of heap. */
export interface RenderLimits {
  timeoutMs?: number;
  maxOldSpaceMb?: number;
}

export const DEFAULT_RENDER_TIMEOUT_MS = 10_000;
export const DEFAULT_RENDER_MAX_OLD_SPACE_MB = 256;

const here = fileURLToPath(import.meta.url);
/** From sources (tsx, `--conditions=source`) the child is the .ts file; from dist, the .js beside this one. */
const CHILD_ENTRY = join(dirname(here), here.endsWith(".ts") ? "render-child.ts" : "render-child.js");

/** Flags of this process the child needs to load the same code: loaders and conditions, nothing else (no inspector, no test runner). */
function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  const withValue = new Set(["--import", "--loader", "--experimental-loader", "--conditions", "-C", "--require", "-r"]);
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    const name = arg.split("=")[0] as string;
    if (!withValue.has(name)) continue;
    if (arg.includes("=")) out.push(arg);
    else if (i + 1 < execArgv.length) out.push(arg, execArgv[++i] as string);
  }
  return out;
}

function rebuild(error: Extract<RenderReply, { ok: false }>["error"]): Error {
  switch (error.code) {
    case "ESCHEMA":
      return new SchemaValidationError((error.problems ?? []) as SchemaProblem[]);
    case "ETEMPLATE": {
      // The message already reads "template: FILE:LINE: reason"; keep it whole.
      const e = new TemplateError(error.file ?? "", error.line ?? 0, "");
      e.message = error.message;
      return e;
    }
    case "EMANIFEST":
      return new ManifestError(error.message);
    case "ECHARTLOAD":
      return new ChartLoadError(error.message);
    case "EVALUES":
      return new ValuesError(error.message);
    default:
      return new ChartError(`rendering failed: ${error.name}: ${error.message}`, "ERENDERPROCESS");
  }
}

/**
 * Renders a chart in a separate Node process: chart templates compile to JavaScript, so a
 * third-party chart runs with no environment, a heap limit and a kill timer. Resolves to the
 * objects, manifest and notes; rejects with the render's own error (SchemaValidationError,
 * TemplateError, ManifestError), RenderLimitError when a limit stopped it, or
 * RenderProcessError when the process died otherwise. `signal` kills the process too.
 */
export function renderChart(job: RenderJob, limits: RenderLimits = {}, signal?: AbortSignal): Promise<RenderResult> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS;
  const heapMb = limits.maxOldSpaceMb ?? DEFAULT_RENDER_MAX_OLD_SPACE_MB;
  return new Promise<RenderResult>((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: [...loaderArgs(process.execArgv), `--max-old-space-size=${heapMb}`],
      env: {},
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
    let stderr = "";
    let settled = false;
    let limit: string | undefined;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      limit = `rendering chart "${job.chart.metadata.name}" took longer than ${timeoutMs / 1000}s and was stopped (a template that never ends?)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    const onAbort = (): void => {
      limit = "rendering was cancelled";
      child.kill("SIGKILL");
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });

    child.on("message", (msg: RenderReply) => {
      finish(() => (msg.ok ? resolve(msg.result) : reject(rebuild(msg.error))));
    });
    child.on("error", (err) => finish(() => reject(new RenderProcessError(`cannot start the render process: ${err.message}`, { cause: err }))));
    child.on("close", (code, sig) => {
      finish(() => {
        if (limit) return reject(new RenderLimitError(limit));
        if (/heap limit|heap out of memory/i.test(stderr)) {
          return reject(new RenderLimitError(`rendering chart "${job.chart.metadata.name}" used more than ${heapMb} MiB of heap and was stopped`));
        }
        reject(new RenderProcessError(`the render process exited (${sig ?? `code ${String(code)}`}) without a result${stderr ? `: ${stderr.trim().split("\n").slice(-3).join(" ")}` : ""}`));
      });
    });
    child.send(job, (err) => {
      if (err) finish(() => reject(new RenderProcessError(`cannot send the chart to the render process: ${err.message}`, { cause: err })));
    });
  });
}
