// The documents the kubeplane chart renders (Machine, MachineFile) and their grouping into per-machine bundles.
import type { RenderedObject } from "@kubeplane/chart";

/** A health gate of a machine: an HTTP(S) endpoint of one of its units, or a Node that must be Ready. */
export type HealthCheck = { unit: string; url: string; expect?: string; ca?: string } | { node: string };

/** The chart's `Machine` document: where the machine's files go and what it runs, in start order. */
export interface MachineSpec {
  name: string;
  address: string;
  role: "control-plane" | "worker";
  /** "/" on a real machine; a directory per simulated machine. */
  root: string;
  pkiDir: string;
  logDir: string;
  stateDir: string;
  unitDir: string;
  /** Unit names without `.service`, in start order (stopped in reverse). */
  units: string[];
  /** Files of the cluster PKI directory this machine gets (certificates, keys, encryption-keys). */
  certificates: string[];
  health: HealthCheck[];
  kubeplaneVersion: string;
  netns?: string;
  labels?: Record<string, string>;
}

/** One file of a machine: an absolute path on it, octal mode, text. */
export interface MachineFile {
  path: string;
  mode: string;
  content: string;
}

/** Everything one machine gets. */
export interface Bundle {
  machine: MachineSpec;
  files: MachineFile[];
}

/** Thrown when the chart's output is not a set of well-formed Machine and MachineFile documents. */
export class BundleError extends Error {
  readonly code = "EBUNDLE";
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

const API_VERSION = "deploy.kubeplane.io/v1";

/** Groups rendered documents into bundles, one per Machine, in the chart's machine order; a file for an unknown machine is an error. */
export function bundlesOf(objects: readonly RenderedObject[]): Bundle[] {
  const bundles = new Map<string, Bundle>();
  const files: Array<{ machine: string; file: MachineFile; template: string }> = [];
  for (const { object, template } of objects) {
    if (object["apiVersion"] !== API_VERSION) throw new BundleError(`${template}: apiVersion must be ${API_VERSION}`);
    const meta = object["metadata"] as { name?: string; labels?: Record<string, string> } | undefined;
    const spec = object["spec"] as Record<string, unknown> | undefined;
    if (!spec || !meta?.name) throw new BundleError(`${template}: a ${String(object["kind"])} needs metadata.name and spec`);
    if (object["kind"] === "Machine") {
      bundles.set(meta.name, { machine: { ...(spec as unknown as Omit<MachineSpec, "name">), name: meta.name, labels: meta.labels ?? {} }, files: [] });
    } else if (object["kind"] === "MachineFile") {
      const path = String(spec["path"] ?? "");
      if (!path.startsWith("/") || path.split("/").includes("..")) throw new BundleError(`${template}: ${meta.name}: path must be absolute without ..`);
      files.push({ machine: String(spec["machine"]), file: { path, mode: String(spec["mode"] ?? "0644"), content: `${String(spec["content"] ?? "")}\n` }, template });
    } else {
      throw new BundleError(`${template}: unknown kind ${String(object["kind"])}`);
    }
  }
  for (const { machine, file, template } of files) {
    const bundle = bundles.get(machine);
    if (!bundle) throw new BundleError(`${template}: file ${file.path} is for machine ${machine}, which has no Machine document`);
    if (bundle.files.some((f) => f.path === file.path)) throw new BundleError(`${template}: ${machine} gets ${file.path} twice`);
    bundle.files.push(file);
  }
  for (const b of bundles.values()) b.files.sort((x, y) => x.path.localeCompare(y.path));
  return [...bundles.values()];
}
