// A container's CRI mounts from its volumeMounts (the kubelet's makeMounts), subPaths and the managed /etc/hosts.

import type { coreV1Pod } from "@kubeplane/api";
import { mkdirSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import type { KeyValue, Mount } from "../runtime/types.js";
import { CreateContainerConfigError } from "./errors.js";
import { expand } from "./expansion.js";

const ETC_HOSTS = "/etc/hosts";

/** Options of containerMounts beyond the volume paths. */
export interface ContainerMountsOptions {
  /** Host-network pods get no managed /etc/hosts (pass true to skip it). */
  hostNetwork?: boolean;
  /** The container's resolved env, for subPathExpr. */
  env?: KeyValue[];
}

function checkSubPath(subPath: string, container: string): string {
  const clean = normalize(subPath);
  if (clean.startsWith("/") || clean === ".." || clean.startsWith("../")) {
    throw new CreateContainerConfigError(`failed to prepare subPath for volumeMount of container ${container}: subPath ${JSON.stringify(subPath)} must be relative and within the volume`, container);
  }
  return clean;
}

/** subPathExpr expanded against env; like Kubernetes, a reference to an unset or empty variable is an error. */
function expandSubPath(expr: string, env: KeyValue[], container: string): string {
  const values = new Map(env.map((kv) => [kv.key, kv.value]));
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const value = values.get(name);
    if (!value) missing.add(name);
    return value ?? "";
  });
  if (missing.size > 0) throw new CreateContainerConfigError(`missing value for ${[...missing].sort().join(", ")}`, container);
  return out;
}

/**
 * The container's mounts: each volumeMount at its mountPath (readOnly kept), a subPath (or expanded
 * subPathExpr) pointing inside the volume and created there (with the volume directory's mode) when
 * missing, then the pod's managed hosts file at /etc/hosts when etcHostsPath is given, the pod is not on the
 * host network and no volumeMount already targets /etc/hosts. Throws CreateContainerConfigError for a
 * volumeMount whose volume is not in volumePaths or a subPath escaping the volume.
 */
export function containerMounts(
  container: coreV1Pod.Container,
  volumePaths: Map<string, string>,
  etcHostsPath?: string,
  opts: ContainerMountsOptions = {},
): Mount[] {
  const mounts: Mount[] = [];
  let mountEtcHosts = etcHostsPath !== undefined && !opts.hostNetwork;
  for (const vm of container.volumeMounts) {
    const volumePath = volumePaths.get(vm.name);
    if (volumePath === undefined) {
      throw new CreateContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`, container.name);
    }
    let hostPath = volumePath;
    const subPath = vm.subPathExpr ? expandSubPath(vm.subPathExpr, opts.env ?? [], container.name) : vm.subPath;
    if (subPath) {
      hostPath = join(volumePath, checkSubPath(subPath, container.name));
      const info = statSync(hostPath, { throwIfNoEntry: false });
      if (!info) mkdirSync(hostPath, { recursive: true, mode: statSync(volumePath).mode & 0o7777 });
    }
    if (vm.mountPath === ETC_HOSTS) mountEtcHosts = false;
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly });
  }
  if (mountEtcHosts && etcHostsPath !== undefined) mounts.push({ containerPath: ETC_HOSTS, hostPath: etcHostsPath, readonly: false });
  return mounts;
}
