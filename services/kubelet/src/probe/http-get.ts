// The httpGet action of probes and lifecycle hooks: a GET whose 2xx/3xx status is success (the kubelet's HTTP prober).

import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { coreV1Pod } from "@kubeplane/api";
import type { ActionOutcome } from "./outcome.js";
import { joinHostPort } from "./port.js";

/** The kubelet reads at most this much of a probe response body into the output. */
const MAX_BODY_BYTES = 10 * 1024;
/** The User-Agent the kubelet sends (kube-probe/<major>.<minor>). */
export const PROBE_USER_AGENT = "kube-probe/1.31";

/** Where and how to send the GET. */
export interface HttpGetTarget {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

function headersOf(action: coreV1Pod.HTTPGetAction): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { "user-agent": PROBE_USER_AGENT, accept: "*/*" };
  for (const h of action.httpHeaders) headers[h.name.toLowerCase()] = h.value;
  return headers;
}

/**
 * Sends the GET of action to target: scheme HTTP or HTTPS (certificates not verified, like the kubelet),
 * path defaulting to "/", httpHeaders added (a Host header overrides the host). 200–399 is success with
 * the body (first 10 KiB) as output; other statuses, connection errors and the timeout are failures. Redirects
 * are not followed (a 3xx is success). Rejects with the signal's reason when target.signal aborts.
 */
export function httpGet(action: coreV1Pod.HTTPGetAction, target: HttpGetTarget): Promise<ActionOutcome> {
  const scheme = (action.scheme || "HTTP").toLowerCase();
  const path = action.path.startsWith("/") ? action.path : `/${action.path}`;
  const url = `${scheme}://${joinHostPort(target.host, target.port)}${path}`;
  return new Promise((resolve, reject) => {
    const signal = target.signal;
    if (signal?.aborted) return reject(signal.reason as Error);
    let settled = false;
    const finish = (outcome: ActionOutcome | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => finish(signal?.reason as Error);
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
        size += chunk.length;
      });
      res.on("error", (err) => finish({ result: "failure", output: `Get "${url}": ${err.message}` }));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString("utf8");
        if (status >= 200 && status < 400) finish({ result: "success", output: body });
        else finish({ result: "failure", output: `HTTP probe failed with statuscode: ${status}` });
      });
    };
    const options = { method: "GET", headers: headersOf(action), agent: false as const };
    const req = scheme === "https" ? httpsRequest(url, { ...options, rejectUnauthorized: false }, onResponse) : httpRequest(url, options, onResponse);
    const timer = setTimeout(
      () => finish({ result: "failure", output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      target.timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => finish({ result: "failure", output: `Get "${url}": ${err.message}` }));
    req.end();
  });
}
