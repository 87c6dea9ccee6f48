// Test helpers for the REST API: a kubeconfig for the admin, kubectl runs, and raw HTTPS requests.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientTls } from "@kubeplane/testing";

/** A kubeconfig (JSON, which kubectl reads as YAML) for `server` as the test admin; its directory holds kubectl's cache too. */
export function writeKubeconfig(server: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "kp-rest-"));
  const tls = clientTls("admin");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubeplane", cluster: { server, "certificate-authority": tls.caFile } }],
    users: [{ name: "admin", user: { "client-certificate": tls.certFile, "client-key": tls.keyFile } }],
    contexts: [{ name: "kubeplane", context: { cluster: "kubeplane", user: "admin", namespace: "default" } }],
    "current-context": "kubeplane",
  };
  const path = join(dir, "kubeconfig");
  writeFileSync(path, JSON.stringify(config));
  return { path, dir };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs /usr/bin/kubectl (the dispatcher picks the client matching the server's /version) with the kubeconfig; killed after `timeoutMs`. */
export function kubectl(kubeconfig: { path: string; dir: string }, args: string[], input?: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "kubectl",
      [`--kubeconfig=${kubeconfig.path}`, `--cache-dir=${join(kubeconfig.dir, "cache")}`, ...args],
      { env: { ...process.env, HOME: kubeconfig.dir, KUBECONFIG: kubeconfig.path, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Starts a long-running kubectl (get -w, port-forward, logs -f) whose stdout and stderr are collected. */
export function kubectlStream(kubeconfig: { path: string; dir: string }, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn("kubectl", [`--kubeconfig=${kubeconfig.path}`, `--cache-dir=${join(kubeconfig.dir, "cache")}`, ...args], { env: { ...process.env, HOME: kubeconfig.dir, ...env } });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** One HTTPS request to the REST API; `identity` presents that test client certificate (none: anonymous). */
export function restRequest(
  url: string,
  opts: { method?: string; identity?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const tls = clientTls(opts.identity ?? "admin");
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? "GET",
        ca: readFileSync(tls.caFile),
        ...(opts.identity !== "" ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : {}),
        headers: { Accept: "application/json", ...(opts.body ? { "Content-Type": "application/json" } : {}), ...opts.headers },
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Opens a watch (or any streaming GET) as the admin; resolves once the response's headers arrive, with a way to close it. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: () => string; close: () => void }> {
  const tls = clientTls("admin");
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), headers, signal: controller.signal }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("error", () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: () => body, close: () => controller.abort() });
    });
    req.on("error", (err) => (controller.signal.aborted ? undefined : reject(err)));
    req.end();
  });
}

/** Runs kpctl from sources as a process (a service's test does not import another service). */
export function runKpctl(args: string[]): Promise<KubectlResult> {
  const bin = new URL("../../kpctl/bin/kpctl", import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
