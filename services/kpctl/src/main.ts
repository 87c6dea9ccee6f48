#!/usr/bin/env node
// kpctl's executable: wires the process's streams, environment and Ctrl-C into run().
import { silenceIpServerNameWarning } from "@kubeplane/service-kit/ip-servername-warning";
import { run } from "./index.js";

silenceIpServerNameWarning();

const controller = new AbortController();
let interrupted = false;
process.on("SIGINT", () => {
  // The first Ctrl-C ends `get -w` and waits cleanly; a second one leaves at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error("interrupted"));
});

const args = process.argv.slice(2);
const terminal = process.stdin.isTTY
  ? {
      setRawMode: (raw: boolean) => void process.stdin.setRawMode(raw),
      size: () => {
        const [width, height] = process.stdout.isTTY ? process.stdout.getWindowSize() : [80, 24];
        return { width, height };
      },
      onResize: (listener: () => void) => {
        process.on("SIGWINCH", listener);
        return () => void process.off("SIGWINCH", listener);
      },
    }
  : undefined;
const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal, ...(terminal ? { terminal } : {}) };
// With somewhere to send spans, the command is one trace: its calls carry it to the apiserver and
// on (etcd, the watch event, the controllers' reconciles). Loaded only then: the SDK costs start-up time.
const code = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? await runTraced(args) : await run(args, io);
process.exitCode = interrupted && code === 0 ? 0 : code;

async function runTraced(argv: string[]): Promise<number> {
  const [{ startTracing, stopTracing }, { context, trace, SpanStatusCode }] = await Promise.all([import("@kubeplane/service-kit"), import("@opentelemetry/api")]);
  startTracing({ serviceName: "kpctl" });
  const span = trace.getTracer("kpctl").startSpan(`kpctl ${argv.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ")}`.trim());
  try {
    const exit = await context.with(trace.setSpan(context.active(), span), () => run(argv, io));
    if (exit !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${exit}` });
    return exit;
  } finally {
    span.end();
    await stopTracing();
  }
}
