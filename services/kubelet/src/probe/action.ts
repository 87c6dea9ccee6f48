// Runs one probe or lifecycle-hook action (exec, httpGet, tcpSocket, sleep) against a container, as the kubelet's probers.

import { Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { coreV1Pod } from "@kubeplane/api";
import type { RuntimeService } from "../runtime/types.js";
import { httpGet } from "./http-get.js";
import type { ActionOutcome } from "./outcome.js";
import { joinHostPort, resolvePort } from "./port.js";

export type { ActionOutcome } from "./outcome.js";

/** One action as it appears in a Probe or LifecycleHandler. */
export type ProbeAction = coreV1Pod.ExecAction | coreV1Pod.HTTPGetAction | coreV1Pod.TCPSocketAction;

/** A Probe or LifecycleHandler: whichever action field is set runs. */
export interface ActionHandler {
  exec?: coreV1Pod.ExecAction | undefined;
  httpGet?: coreV1Pod.HTTPGetAction | undefined;
  tcpSocket?: coreV1Pod.TCPSocketAction | undefined;
  sleep?: coreV1Pod.SleepAction | undefined;
  grpc?: coreV1Pod.GRPCAction | undefined;
}

/** Where an action runs. */
export interface ActionContext {
  runtime: Pick<RuntimeService, "execSync">;
  containerId: string;
  /** The default host of httpGet and tcpSocket. */
  podIp: string;
  /** The whole action's deadline (the probe's timeoutSeconds; a hook's grace period). */
  timeoutMs: number;
  /** Aborting rejects the returned promise with the signal's reason. */
  signal?: AbortSignal;
  /** The container's ports, to resolve port names. */
  ports?: readonly coreV1Pod.ContainerPort[];
}

/**
 * Runs action (or the action set in a Probe/LifecycleHandler) once: exec runs in the container through the
 * runtime (exit code 0 is success, output is stdout+stderr); httpGet succeeds on 200–399; tcpSocket when a
 * connection opens; sleep waits its seconds. Every other outcome (timeout, refused, bad port, runtime error,
 * no action) resolves as failure with the reason as output. Rejects only when ctx.signal aborts.
 */
export async function runAction(action: ProbeAction | ActionHandler, ctx: ActionContext): Promise<ActionOutcome> {
  ctx.signal?.throwIfAborted();
  try {
    if ("command" in action) return await exec(action, ctx);
    if ("scheme" in action || "httpHeaders" in action || "path" in action) {
      const http = action as coreV1Pod.HTTPGetAction;
      const port = resolvePort(http.port, ctx.ports);
      return await httpGet(http, { host: http.host || ctx.podIp, port, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    }
    if ("port" in action && typeof action.port === "string") return await tcpSocket(action as coreV1Pod.TCPSocketAction, ctx);
    const handler = action as ActionHandler;
    const inner = handler.exec ?? handler.httpGet ?? handler.tcpSocket;
    if (inner) return await runAction(inner, ctx);
    if (handler.sleep) {
      await delay(handler.sleep.seconds * 1000, undefined, ctx.signal ? { signal: ctx.signal } : {});
      return { result: "success", output: "" };
    }
    if (handler.grpc) return { result: "failure", output: "grpc probes are not supported by this kubelet" };
    return { result: "failure", output: "missing probe handler" };
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    return { result: "failure", output: (err as Error).message };
  }
}

async function exec(action: coreV1Pod.ExecAction, ctx: ActionContext): Promise<ActionOutcome> {
  const timeoutSeconds = Math.max(1, Math.ceil(ctx.timeoutMs / 1000));
  const timedOut = `command ${JSON.stringify(action.command.join(" "))} timed out`;
  const timeout = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout.signal]) : timeout.signal;
  // The runtime enforces the timeout too, in whole seconds; this timer keeps sub-second deadlines honest.
  const guard = delay(ctx.timeoutMs, undefined, { signal, ref: false }).then(() => ({ result: "failure" as const, output: timedOut }));
  try {
    return await Promise.race([
      ctx.runtime.execSync(ctx.containerId, action.command, timeoutSeconds).then((r) => ({
        result: r.exitCode === 0 ? ("success" as const) : ("failure" as const),
        output: Buffer.concat([r.stdout, r.stderr]).toString("utf8"),
      })),
      guard,
    ]);
  } finally {
    timeout.abort();
    await guard.catch(() => undefined);
  }
}

function tcpSocket(action: coreV1Pod.TCPSocketAction, ctx: ActionContext): Promise<ActionOutcome> {
  const port = resolvePort(action.port, ctx.ports);
  const host = action.host || ctx.podIp;
  const addr = joinHostPort(host, port);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const finish = (outcome: ActionOutcome | Error): void => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => finish(ctx.signal?.reason as Error);
    const timer = setTimeout(() => finish({ result: "failure", output: `dial tcp ${addr}: i/o timeout` }), ctx.timeoutMs);
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish({ result: "success", output: "" }));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      const reason = err.code === "ECONNREFUSED" ? "connect: connection refused" : err.message;
      finish({ result: "failure", output: `dial tcp ${addr}: ${reason}` });
    });
    socket.connect({ host, port });
  });
}
