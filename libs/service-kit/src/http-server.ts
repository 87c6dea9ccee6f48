// The service's HTTP listener: /metrics, /healthz (liveness) and /readyz (readiness).
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Registry } from "prom-client";
import type { TlsMaterial } from "./tls.js";

/** A named readiness check; it returns false or throws when the service cannot serve. */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export interface HttpEndpoints {
  registry: Registry;
  /** False once shutdown begins; /readyz then answers 503 before any check runs. */
  isAccepting: () => boolean;
  checks: readonly ReadinessCheck[];
}

interface AuthenticatedEndpoints extends HttpEndpoints {
  /** Whether the request comes from an authenticated caller (/metrics); /healthz and /readyz stay anonymous. */
  authenticate(req: IncomingMessage): boolean;
}

async function readiness(endpoints: HttpEndpoints): Promise<{ ok: boolean; body: string }> {
  if (!endpoints.isAccepting()) return { ok: false, body: "[-]shutdown: shutting down\n" };
  const lines: string[] = [];
  let ok = true;
  for (const { name, check } of endpoints.checks) {
    let passed: boolean;
    let reason = "failed";
    try {
      passed = await check();
    } catch (err) {
      passed = false;
      reason = (err as Error).message;
    }
    ok &&= passed;
    lines.push(passed ? `[+]${name} ok` : `[-]${name} ${reason}`);
  }
  lines.push(ok ? "readyz check passed" : "readyz check failed");
  return { ok, body: `${lines.join("\n")}\n` };
}

async function handle(endpoints: AuthenticatedEndpoints, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  switch (path) {
    case "/metrics": {
      if (!endpoints.authenticate(req)) {
        res.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized: /metrics needs a client certificate the cluster CA signed\n");
        return;
      }
      const body = await endpoints.registry.metrics();
      res.writeHead(200, { "content-type": endpoints.registry.contentType }).end(body);
      return;
    }
    case "/healthz":
    case "/livez":
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    case "/readyz": {
      const { ok, body } = await readiness(endpoints);
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(body);
      return;
    }
    default:
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  }
}

/**
 * Creates (does not start) the HTTPS server for the endpoints (HTTP only without TLS material,
 * i.e. insecureServing). It asks every client for a certificate signed by the client CA; only
 * /metrics insists on one.
 */
export function createHttpServer(endpoints: HttpEndpoints, tls: TlsMaterial | undefined): Server {
  const authenticated: AuthenticatedEndpoints = {
    ...endpoints,
    authenticate: (req) => !tls?.ca || (req.socket as TLSSocket).authorized === true,
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(authenticated, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${(err as Error).message}\n`);
    });
  };
  if (!tls) return createHttp(listener);
  return createHttps({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}) }, listener);
}
