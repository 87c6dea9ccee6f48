// The objects `kpctl create deployment|configmap|secret|namespace|serviceaccount` builds from flags, as kubectl's generators do.
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { containerNameFor, keyValues } from "../pod-template.js";

/** The data sources of a configmap or generic secret. */
export interface DataSources {
  fromLiteral: string[];
  fromFile: string[];
  fromEnvFile: string[];
}

async function fileEntries(spec: string): Promise<[string, Buffer][]> {
  const eq = spec.indexOf("=");
  const [key, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new KpctlError(`error reading ${path}: no such file or directory`, "ENOFILE", { cause: err });
  }
  if (info.isDirectory()) {
    if (key) throw new UsageError(`cannot give a key for a directory: ${spec}`);
    const out: [string, Buffer][] = [];
    for (const name of (await readdir(path)).sort()) {
      const full = join(path, name);
      if ((await stat(full)).isFile()) out.push([name, await readFile(full)]);
    }
    return out;
  }
  return [[key ?? basename(path), await readFile(path)]];
}

function envFileEntries(text: string, path: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new KpctlError(`${path} line ${i + 1}: "${line}" is not a KEY=VALUE line`, "EENVFILE");
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** Every key and value, in flag order; a key given twice is an error (as kubectl). */
async function collect(sources: DataSources): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for (const [k, v] of keyValues(sources.fromLiteral, "--from-literal")) out.push([k, Buffer.from(v)]);
  for (const spec of sources.fromFile) out.push(...(await fileEntries(spec)));
  for (const path of sources.fromEnvFile) for (const [k, v] of envFileEntries(await readFile(path, "utf8"), path)) out.push([k, Buffer.from(v)]);
  const seen = new Set<string>();
  for (const [k] of out) {
    if (seen.has(k)) throw new KpctlError(`cannot add key ${k}, another key by that name already exists`, "EDUPKEY");
    seen.add(k);
  }
  return out;
}

function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString("utf8"), "utf8").equals(b);
}

export async function configMapFor(name: string, sources: DataSources): Promise<JsonObject> {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of await collect(sources)) {
    if (isUtf8(v)) data[k] = v.toString("utf8");
    else binaryData[k] = v.toString("base64");
  }
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, ...(Object.keys(data).length ? { data } : {}), ...(Object.keys(binaryData).length ? { binaryData } : {}) };
}

export async function genericSecretFor(name: string, sources: DataSources, type = "Opaque"): Promise<JsonObject> {
  const data = Object.fromEntries((await collect(sources)).map(([k, v]) => [k, v.toString("base64")]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name }, type, data };
}

export async function tlsSecretFor(name: string, certPath: string | undefined, keyPath: string | undefined): Promise<JsonObject> {
  if (!certPath || !keyPath) throw new UsageError("--cert and --key are required for a tls secret");
  const [cert, key] = [await readFile(certPath), await readFile(keyPath)];
  if (!cert.toString().includes("-----BEGIN CERTIFICATE-----")) throw new KpctlError(`${certPath} holds no PEM certificate`, "ETLS");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString())) throw new KpctlError(`${keyPath} holds no PEM private key`, "ETLS");
  return { apiVersion: "v1", kind: "Secret", metadata: { name }, type: "kubernetes.io/tls", data: { "tls.crt": cert.toString("base64"), "tls.key": key.toString("base64") } };
}

/** kubectl create deployment: labels and selector app=NAME, one container per --image named after it. */
export function deploymentFor(name: string, images: readonly string[], replicas: number, port: number | undefined, command: readonly string[]): JsonObject {
  if (images.length === 0) throw new UsageError("--image is required");
  if (command.length && images.length > 1) throw new UsageError("cannot specify multiple --image options and command");
  const labels = { app: name };
  const containers = images.map((image) => ({
    name: containerNameFor(image),
    image,
    ...(command.length ? { command: [...command] } : {}),
    ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}),
  }));
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, labels }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } } };
}

export function namespaceFor(name: string): JsonObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

export function serviceAccountFor(name: string): JsonObject {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } };
}
