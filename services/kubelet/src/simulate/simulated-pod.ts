// The status a simulated kubelet reports for a pod it "runs": Running and Ready, nothing actually started.
import { coreV1Pod } from "@kubeplane/api";
import { formatTime } from "../node/node-conditions.js";

type Pod = coreV1Pod.Pod;

/** The containerID scheme of simulated containers (no runtime behind them). */
export const SIMULATED_RUNTIME = "simulated";

/** True when the pod already reports what a simulated kubelet would (Running with an IP). */
export function reportsRunning(pod: Pod): boolean {
  return pod.status?.phase === "Running" && !!pod.status.podIp;
}

/**
 * `pod` with the status of a started pod: phase Running; PodScheduled, Initialized,
 * ContainersReady and Ready True; podIP and hostIP; init containers Completed, containers
 * running and ready with `simulated://` ids. Conditions that were already True keep their times.
 */
export function runningPod(pod: Pod, podIp: string, hostIp: string, now: Date): Pod {
  const at = formatTime(now);
  const uid = pod.metadata?.uid ?? "";
  const previous = pod.status?.conditions ?? [];
  const conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => {
    const before = previous.find((c) => c.type === type && c.status === "True");
    return { type, status: "True", lastTransitionTime: before?.lastTransitionTime || at };
  });
  const containerId = (name: string): string => `${SIMULATED_RUNTIME}://${uid}/${name}`;
  const imageId = (image: string): string => `${SIMULATED_RUNTIME}://${image}`;
  const startTime = pod.status?.startTime || at;
  const out = coreV1Pod.Pod.fromPartial(pod);
  out.status = coreV1Pod.PodStatus.fromPartial({
    ...pod.status,
    phase: "Running",
    reason: "",
    message: "",
    conditions,
    hostIp,
    hostIps: [{ ip: hostIp }],
    podIp,
    podIps: [{ ip: podIp }],
    startTime,
    initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      imageId: imageId(c.image),
      containerId: containerId(c.name),
      ready: true,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: "Completed", startedAt: startTime, finishedAt: startTime, containerId: containerId(c.name) } },
    })),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      imageId: imageId(c.image),
      containerId: containerId(c.name),
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: startTime } },
    })),
  });
  return out;
}
