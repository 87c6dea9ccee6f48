// A container's Linux cgroup resources from its requests and limits, as the kubelet computes them.

import { bytes, cpuMillis, type coreV1Pod } from "@kubeplane/api";
import type { LinuxResources } from "../runtime/types.js";

/** The CFS period the kubelet uses (100ms, in microseconds). */
export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
/** The smallest CFS quota the kernel accepts (1ms). */
const MIN_QUOTA_US = 1_000;

/** cpu.shares for a CPU request in millicores (Kubernetes' MilliCPUToShares): at least 2. */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu <= 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((milliCpu * SHARES_PER_CPU) / 1000));
}

/** The CFS quota for a CPU limit in millicores (Kubernetes' MilliCPUToQuota): 0 when unlimited, at least 1ms. */
export function milliCpuToQuota(milliCpu: number, periodUs = CPU_PERIOD_US): number {
  if (milliCpu <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milliCpu * periodUs) / 1000));
}

/**
 * The container's LinuxResources: shares from requests.cpu (limits.cpu when there is no request, as API
 * defaulting would), quota from limits.cpu over a 100ms period, memory limit from limits.memory (0: none).
 * Throws QuantityParseError for an invalid quantity (validation should have rejected it).
 */
export function linuxResources(container: coreV1Pod.Container): LinuxResources {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuRequest = requests["cpu"] ?? limits["cpu"];
  const cpuLimit = limits["cpu"];
  const memoryLimit = limits["memory"];
  return {
    cpuPeriod: CPU_PERIOD_US,
    cpuQuota: cpuLimit ? milliCpuToQuota(cpuMillis(cpuLimit)) : 0,
    cpuShares: milliCpuToShares(cpuRequest ? cpuMillis(cpuRequest) : 0),
    memoryLimitInBytes: memoryLimit ? bytes(memoryLimit) : 0,
  };
}
