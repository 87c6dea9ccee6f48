// Finds a pod's container instances in the runtime for the kubelet API (logs, exec): the current
// attempt and the one before it, with their CRI log files.
import { join } from "node:path";
import type { coreV1Pod } from "@kubeplane/api";
import { containerLogPath, podLogDir } from "../paths.js";
import type { RuntimeService } from "../runtime/types.js";
import type { ContainerInstance, ContainerLocator } from "../server/index.js";
import { readPodRuntimeState } from "./runtime-state.js";

export function runtimeContainerLocator(runtime: RuntimeService, logRoot: string): ContainerLocator {
  return {
    async containerId(pod: coreV1Pod.Pod, container: string, previous: boolean): Promise<ContainerInstance | undefined> {
      const m = pod.metadata!;
      const state = await readPodRuntimeState(runtime, m.uid);
      const instances = state.containers.filter((c) => c.metadata.name === container);
      const c = instances[previous ? 1 : 0];
      if (!c) return undefined;
      return { id: c.id, logPath: join(podLogDir(logRoot, m.namespace, m.name, m.uid), containerLogPath(container, c.metadata.attempt)) };
    },
  };
}

/** The id of the pod's newest ready sandbox in the runtime (port-forward's target), or undefined. */
export function runtimeSandboxLocator(runtime: RuntimeService): (pod: coreV1Pod.Pod) => Promise<string | undefined> {
  return async (pod) => (await readPodRuntimeState(runtime, pod.metadata!.uid)).sandboxes.find((s) => s.state === "ready")?.id;
}
