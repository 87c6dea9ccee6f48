// The operator's admin kubeconfig for kubectl: one cluster and context per control-plane apiserver's REST API, credentials embedded.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Values } from "@kubeplane/chart";
import { stringify } from "yaml";
import type { Bundle } from "./bundle.js";

/** The file `render.sh` writes beside the bundles (0600: it holds the admin's key). */
export const ADMIN_KUBECONFIG = "admin.kubeconfig";

/** The admin's credentials and the cluster CA, PEM. */
export interface AdminPem {
  ca: string;
  cert: string;
  key: string;
}

/** The REST API's URL of each control-plane machine (`--rest-listen` of the chart: the machine's address, `ports.apiserverRest`). */
export function restEndpoints(bundles: readonly Bundle[], values: Values): Array<{ machine: string; server: string }> {
  const port = Number((values["ports"] as { apiserverRest?: number } | undefined)?.apiserverRest ?? 6444);
  return bundles
    .filter((b) => b.machine.role === "control-plane")
    .map((b) => ({ machine: b.machine.name, server: `https://${b.machine.address.includes(":") ? `[${b.machine.address}]` : b.machine.address}:${port}` }));
}

/**
 * A kubeconfig (kubectl has one server per cluster, no fail-over): context `<cluster>` reaches the
 * first control-plane machine, `<cluster>-<machine>` each one; all share the admin user, whose
 * certificate and key are embedded like the CA.
 */
export function adminKubeconfig(bundles: readonly Bundle[], values: Values, pem: AdminPem): Record<string, unknown> {
  const name = String((values["cluster"] as { name?: string } | undefined)?.name ?? "kubeplane");
  const endpoints = restEndpoints(bundles, values);
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const user = `${name}-admin`;
  const cluster = (clusterName: string, server: string): Record<string, unknown> => ({ name: clusterName, cluster: { server, "certificate-authority-data": b64(pem.ca) } });
  const context = (contextName: string, clusterName: string): Record<string, unknown> => ({ name: contextName, context: { cluster: clusterName, user, namespace: "default" } });
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [...(endpoints[0] ? [cluster(name, endpoints[0].server)] : []), ...endpoints.map((e) => cluster(`${name}-${e.machine}`, e.server))],
    contexts: [...(endpoints[0] ? [context(name, name)] : []), ...endpoints.map((e) => context(`${name}-${e.machine}`, `${name}-${e.machine}`))],
    "current-context": endpoints[0] ? name : "",
    preferences: {},
    users: [{ name: user, user: { "client-certificate-data": b64(pem.cert), "client-key-data": b64(pem.key) } }],
  };
}

/** Writes OUT/admin.kubeconfig (0600) from the PKI directory's `ca.crt`, `admin.crt` and `admin.key`; returns its path. */
export async function writeAdminKubeconfig(bundles: readonly Bundle[], values: Values, pkiDir: string, outDir: string): Promise<string> {
  const read = (f: string): Promise<string> => readFile(join(pkiDir, f), "utf8");
  const [ca, cert, key] = await Promise.all([read("ca.crt"), read("admin.crt"), read("admin.key")]);
  const path = join(outDir, ADMIN_KUBECONFIG);
  await writeFile(path, stringify(adminKubeconfig(bundles, values, { ca, cert, key }), { lineWidth: 0 }), { mode: 0o600 });
  return path;
}
