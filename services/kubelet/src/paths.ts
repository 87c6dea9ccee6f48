// Where a kubelet keeps things on its node, Kubernetes' layout under configurable roots:
// pod logs under <logRoot>/<ns>_<name>_<uid>/<container>/<attempt>.log (CRI log format),
// pod volumes under <rootDir>/pods/<uid>/volumes/<plugin>/<name>.

import { join } from "node:path";

/** The log directory of a pod (the CRI sandbox config's log_directory). */
export function podLogDir(logRoot: string, namespace: string, name: string, uid: string): string {
  return join(logRoot, `${namespace}_${name}_${uid}`);
}

/** A container's log path relative to its pod's log directory (the CRI container config's log_path). */
export function containerLogPath(containerName: string, attempt: number): string {
  return join(containerName, `${attempt}.log`);
}

/** The directory of a pod's state (volumes, etc-hosts). */
export function podDir(rootDir: string, uid: string): string {
  return join(rootDir, "pods", uid);
}

/** A pod volume's directory on the node: <rootDir>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>. */
export function podVolumeDir(rootDir: string, uid: string, plugin: string, volumeName: string): string {
  return join(podDir(rootDir, uid), "volumes", `kubernetes.io~${plugin}`, volumeName);
}

/** Labels the kubelet puts on sandboxes and containers so it can find (and adopt) them after a restart. */
export const LABELS = {
  podName: "io.kubernetes.pod.name",
  podNamespace: "io.kubernetes.pod.namespace",
  podUid: "io.kubernetes.pod.uid",
  containerName: "io.kubernetes.container.name",
} as const;
