// Chart releases kept in the cluster as Helm keeps them: one Secret per revision (type kubeplane.io/release.v1), gzip+base64 JSON.
import { gunzipSync, gzipSync } from "node:zlib";
import { isAlreadyExists, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import type { ChartMetadata, Values } from "@kubeplane/chart";
import { KpctlError } from "../errors.js";
import { str } from "../json-fields.js";
import type { CommandContext } from "./command.js";

export const RELEASE_SECRET_TYPE = "kubeplane.io/release.v1";
const OWNER_LABEL = "owner";
const OWNER = "kubeplane";
const MAX_CONFLICT_RETRIES = 5;

/** Helm's release statuses. */
export type ReleaseStatus = "unknown" | "deployed" | "uninstalled" | "superseded" | "failed" | "uninstalling" | "pending-install" | "pending-upgrade" | "pending-rollback";

/** One revision of a release, as stored (Helm's release.Release without the chart's templates). */
export interface Release {
  name: string;
  namespace: string;
  /** The revision, from 1. */
  version: number;
  info: {
    firstDeployed: string;
    lastDeployed: string;
    description: string;
    status: ReleaseStatus;
    notes: string;
  };
  chart: { metadata: ChartMetadata };
  /** The values the user supplied (files and --set), without the chart's defaults. */
  config: Values;
  /** The rendered objects: `---\n# Source: …` documents. */
  manifest: string;
}

const secretKind = (): KindInfo => kindFor("v1", "Secret") as KindInfo;

/** Helm's release name rule: a DNS-1123 subdomain of at most 53 characters (room for suffixes). */
export function checkReleaseName(name: string): void {
  if (!name || name.length > 53 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    throw new KpctlError(`invalid release name "${name}": must be a lowercase DNS-1123 subdomain of at most 53 characters`, "ERELEASENAME");
  }
}

export function secretName(name: string, version: number): string {
  return `kp.release.v1.${name}.v${version}`;
}

/** Helm's encoding: gzip of the JSON, base64 — which the Secret's data then holds as bytes (so base64 once more on the wire). */
export function encodeRelease(rel: Release): string {
  const inner = gzipSync(Buffer.from(JSON.stringify(rel), "utf8")).toString("base64");
  return Buffer.from(inner, "utf8").toString("base64");
}

export function decodeRelease(data: string): Release {
  const inner = Buffer.from(data, "base64").toString("utf8");
  return JSON.parse(gunzipSync(Buffer.from(inner, "base64")).toString("utf8")) as Release;
}

function toSecret(rel: Release): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: RELEASE_SECRET_TYPE,
    metadata: {
      name: secretName(rel.name, rel.version),
      namespace: rel.namespace,
      labels: { [OWNER_LABEL]: OWNER, name: rel.name, status: rel.info.status, version: String(rel.version) },
    },
    data: { release: encodeRelease(rel) },
  };
}

function fromSecret(secret: JsonObject): Release | undefined {
  const data = str(secret, "data", "release");
  if (!data) return undefined;
  try {
    return decodeRelease(data);
  } catch {
    return undefined;
  }
}

/**
 * The release records of one apiserver. Reads list the Secrets by label; writes are Secret
 * creates (a revision's name is taken once, so two concurrent upgrades cannot both write the
 * same revision) and read-modify-write updates retried on Conflict.
 */
export class ReleaseStore {
  constructor(private readonly ctx: CommandContext) {}

  private get json() {
    return this.ctx.client().json;
  }

  /** Every revision of `name` in `namespace`, oldest first. */
  async history(namespace: string, name: string): Promise<Release[]> {
    const list = await this.json.listAll(secretKind(), { namespace, labelSelector: `${OWNER_LABEL}=${OWNER},name=${name}`, signal: this.ctx.io.signal });
    return list.items.map(fromSecret).filter((r): r is Release => r !== undefined && r.name === name).sort((a, b) => a.version - b.version);
  }

  /** The newest revision of every release in `namespace` ("" for all namespaces), by namespace and name. */
  async latestOfEach(namespace: string): Promise<Release[]> {
    const list = await this.json.listAll(secretKind(), { namespace, labelSelector: `${OWNER_LABEL}=${OWNER}`, signal: this.ctx.io.signal });
    const latest = new Map<string, Release>();
    for (const rel of list.items.map(fromSecret)) {
      if (!rel) continue;
      const key = `${rel.namespace}/${rel.name}`;
      if ((latest.get(key)?.version ?? 0) < rel.version) latest.set(key, rel);
    }
    return [...latest.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Stores a new revision. Throws when that revision exists already (another operation won the race). */
  async create(rel: Release): Promise<void> {
    try {
      await this.json.create(secretKind(), toSecret(rel), { signal: this.ctx.io.signal });
    } catch (err) {
      if (isAlreadyExists(err)) throw new KpctlError(`another operation (install/upgrade/rollback) is in progress for release "${rel.name}" (revision ${rel.version} exists)`, "ERELEASEBUSY", { cause: err });
      throw err;
    }
  }

  /** Rewrites a stored revision (its status, description, notes), keeping the Secret's name. */
  async update(rel: Release): Promise<void> {
    const info = secretKind();
    for (let attempt = 0; ; attempt++) {
      const live = await this.json.get(info, rel.namespace, secretName(rel.name, rel.version), { signal: this.ctx.io.signal });
      const next = toSecret(rel);
      (next.metadata as Record<string, unknown>).resourceVersion = str(live, "metadata", "resourceVersion");
      try {
        await this.json.update(info, next, { signal: this.ctx.io.signal });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      }
    }
  }

  async remove(rel: Pick<Release, "name" | "namespace" | "version">): Promise<void> {
    try {
      await this.json.delete(secretKind(), rel.namespace, secretName(rel.name, rel.version), { signal: this.ctx.io.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Helm's history limit: deletes the oldest revisions beyond `max` (0: keep all), never the deployed one. */
  async prune(namespace: string, name: string, max: number): Promise<void> {
    if (max <= 0) return;
    const all = await this.history(namespace, name);
    let excess = all.length - max;
    for (const rel of all) {
      if (excess <= 0) break;
      if (rel.info.status === "deployed") continue;
      await this.remove(rel);
      excess--;
    }
  }
}
