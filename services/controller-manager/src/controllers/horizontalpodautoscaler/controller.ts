// The horizontal pod autoscaler controller: every sync period, each HPA's target is scaled through its scale subresource from the pods' resource metrics.
import { autoscalingV2, isConflict, isNotFound, kindFor, kindsList, parseQuantity, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import type { EventRecorder } from "../event-recorders.js";
import { formatTime as timestamp } from "../util/time.js";
import { computeReplicasForMetrics } from "./compute-metrics.js";
import { apiserverMetricsSource, type ResourceMetricsSource } from "./metrics-source.js";
import { ScaleHistory, type NormalizedCondition } from "./normalize.js";
import type { ReplicaCalculatorOptions, Tolerances } from "./replica-calculator.js";

type HPA = autoscalingV2.HorizontalPodAutoscaler;
type Pod = coreV1Pod.Pod;

const hpas = kindFor("autoscaling/v2", "HorizontalPodAutoscaler") as KindInfo<HPA>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

/** The HPA controller's settings (kube-controller-manager's --horizontal-pod-autoscaler-* flags). */
export interface HpaSettings extends ReplicaCalculatorOptions {
  syncPeriodMs: number;
  downscaleStabilizationMs: number;
}

export interface HpaDeps {
  client: ApiClient;
  hpas: Lister<HPA>;
  pods: Lister<Pod>;
  metrics: ResourceMetricsSource;
  recorder: EventRecorder;
  settings: HpaSettings;
  now: () => Date;
}

/** Sets one condition in place, moving lastTransitionTime only when its status changes (upstream's setConditionInList). */
export function setCondition(hpa: HPA, type: string, c: NormalizedCondition, now: Date): void {
  const conditions = (hpa.status ??= autoscalingV2.HorizontalPodAutoscalerStatus.fromPartial({})).conditions;
  const existing = conditions.find((x) => x.type === type);
  if (!existing) {
    conditions.push({ type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: timestamp(now) });
    return;
  }
  if (existing.status !== c.status) existing.lastTransitionTime = timestamp(now);
  existing.status = c.status;
  existing.reason = c.reason;
  existing.message = c.message;
}

/** The kind the scale target names (by group and kind, whatever version it gives, as upstream's REST mapping), if it has a scale subresource. */
function scaleTargetKind(hpa: HPA): KindInfo | string {
  const ref = hpa.spec?.scaleTargetRef;
  const group = ref?.apiVersion.includes("/") ? ref.apiVersion.split("/")[0] : "";
  const info = ref ? kindsList.find((k) => k.group === group && k.kind === ref.kind) : undefined;
  if (!info) return `no matches for kind "${ref?.kind ?? ""}" in version "${ref?.apiVersion ?? ""}"`;
  if (!info.hasScale) return `${info.kind} has no scale subresource`;
  return info;
}

/**
 * Reconciles one HPA (upstream's reconcileAutoscaler): reads the target's scale, proposes a count from
 * the metrics, stabilizes and bounds it, rescales, records SuccessfulRescale, and writes status when it
 * changed. Always requeues after the sync period. Scale history is this replica's memory only.
 */
export class HorizontalPodAutoscalerReconciler implements Reconciler {
  readonly history: ScaleHistory;

  constructor(private readonly deps: HpaDeps) {
    this.history = new ScaleHistory(deps.settings.downscaleStabilizationMs);
  }

  async reconcile({ namespace, name }: Request, signal?: AbortSignal): Promise<Result | void> {
    const key = `${namespace}/${name}`;
    const cached = this.deps.hpas.get(namespace, name);
    if (!cached) {
      this.history.forget(key);
      return;
    }
    const resync = { requeueAfterMs: this.deps.settings.syncPeriodMs };
    const hpa = autoscalingV2.HorizontalPodAutoscaler.fromPartial(autoscalingV2.HorizontalPodAutoscaler.toJSON(cached) as object);
    hpa.status ??= autoscalingV2.HorizontalPodAutoscalerStatus.fromPartial({});
    const original = JSON.stringify(autoscalingV2.HorizontalPodAutoscalerStatus.toJSON(hpa.status));
    const now = this.deps.now();
    const ref = hpa.spec!.scaleTargetRef!;
    const reference = `${ref.kind}/${namespace}/${ref.name}`;
    const warn = (reason: string, message: string): void => this.deps.recorder.record(hpas, hpa, "Warning", reason, message);

    const target = scaleTargetKind(hpa);
    let scale;
    try {
      if (typeof target === "string") throw new Error(target);
      scale = await this.deps.client.getScale(target, namespace, ref.name);
    } catch (err) {
      const message = (err as Error).message;
      warn("FailedGetScale", message);
      setCondition(hpa, "AbleToScale", { status: "False", reason: "FailedGetScale", message: `the HPA controller was unable to get the target's current scale: ${message}` }, now);
      await this.writeStatus(hpa, original);
      if (isNotFound(err) || typeof target === "string") return resync;
      throw new Error(`failed to query scale subresource for ${reference}: ${message}`, { cause: err });
    }
    setCondition(hpa, "AbleToScale", { status: "True", reason: "SucceededGetScale", message: "the HPA controller was able to get the target's current scale" }, now);
    const currentReplicas = scale.spec?.replicas ?? 0;
    const nowMs = now.getTime();
    this.history.recordInitial(key, currentReplicas, nowMs);
    const minReplicas = hpa.spec!.minReplicas ?? 1;
    const maxReplicas = hpa.spec!.maxReplicas;
    let desired = 0;
    let rescaleReason = "";
    let rescale = true;
    let statuses = hpa.status.currentMetrics;
    let metricsError: string | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      desired = 0;
      rescale = false;
      setCondition(hpa, "ScalingActive", { status: "False", reason: "ScalingDisabled", message: "scaling is disabled since the replica count of the target is zero" }, now);
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = "Current number of replicas above Spec.MaxReplicas";
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = "Current number of replicas below Spec.MinReplicas";
      desired = minReplicas;
    } else {
      const selector = scale.status?.selector ?? "";
      if (!selector) {
        warn("SelectorRequired", "selector is required");
        setCondition(hpa, "ScalingActive", { status: "False", reason: "InvalidSelector", message: "the HPA target's scale is missing a selector" }, now);
        this.setStatus(hpa, currentReplicas, hpa.status.desiredReplicas ?? 0, statuses, false, now);
        await this.writeStatus(hpa, original);
        return resync;
      }
      const selected = this.deps.pods.listBySelector(selector, namespace);
      const outcome = await computeReplicasForMetrics({
        namespace,
        metrics: hpa.spec!.metrics,
        currentReplicas,
        selector,
        pods: selected,
        source: this.deps.metrics,
        options: { ...this.deps.settings, tolerances: tolerancesOf(hpa, this.deps.settings.tolerances) },
        nowMs,
        ...(signal ? { signal } : {}),
      });
      for (const w of outcome.warnings) warn(w.reason, w.message);
      setCondition(hpa, "ScalingActive", outcome.condition, now);
      statuses = outcome.statuses;
      metricsError = outcome.error;
      if (outcome.replicas === undefined) {
        this.setStatus(hpa, currentReplicas, hpa.status.desiredReplicas ?? 0, statuses, false, now);
        await this.writeStatus(hpa, original);
        warn("FailedComputeMetricsReplicas", outcome.error ?? "");
        return resync;
      }
      desired = outcome.replicas;
      if (desired > currentReplicas) rescaleReason = `${outcome.metricName} above target`;
      if (desired < currentReplicas) rescaleReason = "All metrics below target";
      const normalized = hpa.spec!.behavior
        ? this.history.normalizeWithBehavior(key, hpa.spec!.behavior, currentReplicas, desired, minReplicas, maxReplicas, nowMs)
        : this.history.normalize(key, currentReplicas, desired, minReplicas, maxReplicas, nowMs);
      setCondition(hpa, "AbleToScale", normalized.ableToScale, now);
      setCondition(hpa, "ScalingLimited", normalized.scalingLimited, now);
      desired = normalized.replicas;
      rescale = desired !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.deps.client.updateScale(target, namespace, ref.name, desired);
      } catch (err) {
        const message = (err as Error).message;
        warn("FailedRescale", `New size: ${desired}; reason: ${rescaleReason}; error: ${message}`);
        setCondition(hpa, "AbleToScale", { status: "False", reason: "FailedUpdateScale", message: `the HPA controller was unable to update the target scale: ${message}` }, now);
        this.setStatus(hpa, currentReplicas, hpa.status.desiredReplicas ?? 0, statuses, false, now);
        await this.writeStatus(hpa, original);
        throw new Error(`failed to rescale ${reference}: ${message}`, { cause: err });
      }
      setCondition(hpa, "AbleToScale", { status: "True", reason: "SucceededRescale", message: `the HPA controller was able to update the target scale to ${desired}` }, now);
      this.deps.recorder.record(hpas, hpa, "Normal", "SuccessfulRescale", `New size: ${desired}; reason: ${rescaleReason}`);
      this.history.recordScale(key, hpa.spec!.behavior, currentReplicas, desired, nowMs);
    } else {
      desired = currentReplicas;
    }
    this.setStatus(hpa, currentReplicas, desired, statuses, rescale, now);
    await this.writeStatus(hpa, original);
    if (metricsError) throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${metricsError}`);
    return resync;
  }

  private setStatus(hpa: HPA, current: number, desired: number, metrics: autoscalingV2.MetricStatus[], rescaled: boolean, now: Date): void {
    const s = hpa.status!;
    s.currentReplicas = current;
    s.desiredReplicas = desired;
    s.currentMetrics = metrics;
    if (rescaled) s.lastScaleTime = timestamp(now);
  }

  /** Writes status only when it changed; a conflict waits for the informer's newer copy. */
  private async writeStatus(hpa: HPA, original: string): Promise<void> {
    if (JSON.stringify(autoscalingV2.HorizontalPodAutoscalerStatus.toJSON(hpa.status!)) === original) return;
    try {
      await this.deps.client.updateStatus(hpas, hpa);
    } catch (err) {
      if (!isConflict(err)) {
        this.deps.recorder.record(hpas, hpa, "Warning", "FailedUpdateStatus", (err as Error).message);
        throw err;
      }
    }
  }
}

/** behavior.scaleUp/scaleDown.tolerance (a quantity, "0.05" or "50m") where set, else the controller's (Kubernetes' HPAConfigurableTolerance). */
export function tolerancesOf(hpa: HPA, defaults: Tolerances): Tolerances {
  const read = (q: string | undefined, fallback: number): number => {
    if (!q) return fallback;
    try {
      return Number(parseQuantity(q).nanos) / 1e9;
    } catch {
      return fallback;
    }
  };
  return { scaleUp: read(hpa.spec?.behavior?.scaleUp?.tolerance, defaults.scaleUp), scaleDown: read(hpa.spec?.behavior?.scaleDown?.tolerance, defaults.scaleDown) };
}

/** Parses --horizontal-pod-autoscaler-tolerance ("0.1"); throws for anything but a finite number ≥ 0. */
export function parseTolerance(text: string): number {
  const t = Number(text);
  if (text.trim() === "" || !Number.isFinite(t) || t < 0) throw new RangeError(`horizontalPodAutoscalerTolerance must be a number ≥ 0, not "${text}"`);
  return t;
}

/** Builds the HPA controller: HPAs are reconciled every sync period; pods are read from the shared cache. */
export function newHorizontalPodAutoscalerController(ctx: ControllerContext): void {
  const { manager, informers, client, config } = ctx;
  const hpaInformer = informers.informerFor(hpas);
  const podInformer = informers.informerFor(pods);
  const tolerance = parseTolerance(config.horizontalPodAutoscalerTolerance);
  const reconciler = new HorizontalPodAutoscalerReconciler({
    client,
    hpas: hpaInformer.lister,
    pods: podInformer.lister,
    metrics: apiserverMetricsSource(client),
    recorder: ctx.recorder("horizontal-pod-autoscaler"),
    now: ctx.now,
    settings: {
      syncPeriodMs: config.horizontalPodAutoscalerSyncPeriod,
      downscaleStabilizationMs: config.horizontalPodAutoscalerDownscaleStabilization,
      tolerances: { scaleUp: tolerance, scaleDown: tolerance },
      cpuInitializationPeriodMs: config.horizontalPodAutoscalerCpuInitializationPeriod,
      delayOfInitialReadinessStatusMs: config.horizontalPodAutoscalerInitialReadinessDelay,
    },
  });
  const controller = manager.newController({ name: "horizontalpodautoscaler", reconciler });
  // Each HPA is reconciled once per sync period (the reconcile's requeue); an event adds it at once only when it is new,
  // deleted or its spec changed, so that the controller's own status writes do not shorten the period. Pods are only
  // read: a change of load is seen at the next sync, as upstream has no pod handler.
  hpaInformer.addEventHandler({
    onAdd: (o) => controller.enqueue(o),
    onUpdate: (old, cur) => {
      if (old.metadata?.generation !== cur.metadata?.generation) controller.enqueue(cur);
    },
    onDelete: (o) => controller.enqueue(o),
  });
}
