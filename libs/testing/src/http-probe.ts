// Minimal HTTP client for readiness and status probes of servers on loopback.
import { request } from "node:http";

/** A probe's response: status code and the body parsed as JSON when it is JSON, else the raw text. */
export interface ProbeResponse {
  status: number;
  body: unknown;
}

/**
 * Sends one request without connection reuse (so no socket outlives the probe) and rejects if no
 * complete response arrives within `timeoutMs`.
 */
export function httpProbe(method: "GET" | "POST", url: string, body?: unknown, timeoutMs = 1_000): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}
