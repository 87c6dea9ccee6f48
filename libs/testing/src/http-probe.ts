// Minimal HTTP(S) client for readiness and status probes of servers on loopback.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** For https URLs: the CA that verifies the server, and the client certificate to present (if any). */
export interface ProbeTls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

const pemCache = new Map<string, Buffer>();
function pem(path: string): Buffer {
  let data = pemCache.get(path);
  if (!data) {
    data = readFileSync(path);
    pemCache.set(path, data);
  }
  return data;
}

/** A probe's response: status code and the body parsed as JSON when it is JSON, else the raw text. */
export interface ProbeResponse {
  status: number;
  body: unknown;
  /** The body as text. */
  text: string;
}

/**
 * Sends one request without connection reuse (so no socket outlives the probe) and rejects if no
 * complete response arrives within `timeoutMs`.
 */
export function httpProbe(method: "GET" | "POST", url: string, body?: unknown, timeoutMs = 1_000, tls?: ProbeTls): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const secure = url.startsWith("https:");
    const request = secure ? httpsRequest : httpRequest;
    const tlsOptions =
      secure && tls ? { ca: pem(tls.caFile), ...(tls.certFile ? { cert: pem(tls.certFile) } : {}), ...(tls.keyFile ? { key: pem(tls.keyFile) } : {}) } : {};
    const req = request(
      url,
      {
        method,
        agent: false,
        ...tlsOptions,
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
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}
