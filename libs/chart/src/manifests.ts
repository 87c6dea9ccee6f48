// Rendered text to objects: documents split on `---`, empty ones dropped, parsed, sorted in Helm's install order.
import { parseAllDocuments, stringify } from "yaml";
import { ManifestError } from "./errors.js";
import type { RenderedObject } from "./types.js";

/** Helm's InstallOrder: what others depend on first (namespaces, config, services), workloads after, unknown kinds last. */
export const INSTALL_ORDER: readonly string[] = [
  "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ServiceAccount",
  "Secret", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
  "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "DaemonSet", "Pod", "ReplicationController",
  "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
];

function rank(kind: unknown): number {
  const i = INSTALL_ORDER.indexOf(String(kind));
  return i < 0 ? INSTALL_ORDER.length : i;
}

/** Objects sorted by install order; objects of one kind keep their template order (a stable sort). */
export function sortForInstall<T extends { object: Record<string, unknown> }>(objects: readonly T[]): T[] {
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o.object.kind) - rank(b.o.object.kind) || a.i - b.i).map(({ o }) => o);
}

/** Uninstall goes the other way: workloads before the config and services they use. */
export function sortForUninstall<T extends { object: Record<string, unknown> }>(objects: readonly T[]): T[] {
  return sortForInstall(objects).reverse();
}

/** The documents of one template's output: split on lines that start with `---`, blank or comment-only ones dropped. */
export function splitDocuments(text: string): string[] {
  return text
    .split(/^---.*$/m)
    .filter((doc) => doc.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#")));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses one template's rendered output into objects. Throws ManifestError naming the template
 * and the line (within the rendered output) for YAML errors, and for documents that are not
 * mappings with apiVersion and kind.
 */
export function parseRendered(template: string, text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of splitDocuments(text)) {
    for (const parsed of parseAllDocuments(doc)) {
      const first = parsed.errors[0];
      if (first) {
        const line = first.linePos?.[0]?.line;
        throw new ManifestError(`YAML parse error on ${template}${line === undefined ? "" : `: line ${line}`}: ${first.message.split("\n")[0]}`, { cause: first });
      }
      const value: unknown = parsed.toJS();
      if (value === null || value === undefined) continue;
      if (!isRecord(value)) throw new ManifestError(`${template}: a manifest must be a mapping, got ${JSON.stringify(value).slice(0, 80)}`);
      const missing = ["apiVersion", "kind"].filter((k) => typeof value[k] !== "string" || value[k] === "");
      if (missing.length) throw new ManifestError(`${template}: error validating data: [${missing.map((k) => `${k} not set`).join(", ")}]`);
      out.push({ template, object: value });
    }
  }
  return out;
}

/** Helm's manifest text of objects: each as `---\n# Source: <template>\n<yaml>`. */
export function manifestText(objects: readonly RenderedObject[]): string {
  return objects.map((o) => `---\n# Source: ${o.template}\n${stringify(o.object, { lineWidth: 0 })}`).join("");
}

/** The objects of a manifest text (as `manifestText` writes it), each with the template its `# Source:` line names. */
export function parseManifest(manifest: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of splitDocuments(manifest)) {
    const source = /^# Source: (.+)$/m.exec(doc)?.[1] ?? "";
    out.push(...parseRendered(source, doc));
  }
  return out;
}
