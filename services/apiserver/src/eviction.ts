// The pods/eviction subresource: deletes a pod unless its PodDisruptionBudget allows no disruption (Kubernetes' EvictionREST).
import { apiErrors, apiserverV1, decodeMessageJson, encodeMessageJson, isConflict, kindFor, pdbSelectsPod, policyV1, type ApiObject, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { asBuffer } from "./object-codec.js";
import { timestamp, type Registry } from "./registry.js";
import { withDryRun, type RequestContext } from "./request-context.js";

const { Encoding } = apiserverV1;
type Eviction = policyV1.Eviction;
type PodDisruptionBudget = policyV1.PodDisruptionBudget;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const pdbs = kindFor("policy/v1", "PodDisruptionBudget") as KindInfo<PodDisruptionBudget>;

/** Kubernetes' cap on status.disruptedPods: beyond it the controller is too far behind to evict safely. */
const MAX_DISRUPTED_PODS = 2000;
const BUDGET_RETRIES = 5;
const EVICTION_TYPE = "kubeplane.policy.v1.Eviction";

/**
 * Serves Evict. A pod that is finished, pending or already being deleted goes at once; a pod
 * covered by no budget too; a pod covered by more than one is refused (500, as Kubernetes). With
 * one budget, its status must be current and allow a disruption: then disruptionsAllowed is
 * lowered and the pod recorded in disruptedPods (a compare-and-swap on the budget, retried on
 * conflict) before the pod is deleted; otherwise 429 TooManyRequests with the DisruptionBudget
 * cause. Throws ApiErrors.
 */
export async function evictPod(registry: Registry, req: apiserverV1.EvictRequest, ctx?: RequestContext, now: () => Date = () => new Date()): Promise<apiserverV1.ObjectReply> {
  const eviction = decodeEviction(req.eviction);
  const namespace = req.namespace || eviction.metadata?.namespace || "";
  const name = req.name || eviction.metadata?.name || "";
  if (!namespace || !name) throw apiErrors.badRequest("a namespace and a pod name are required for pods/eviction");
  if (eviction.metadata?.name && eviction.metadata.name !== name) throw apiErrors.badRequest(`name in URL does not match name in Eviction object`);
  const dryRun = (eviction.deleteOptions?.dryRun ?? []).includes("All");
  await registry.admit({ operation: "CREATE", info: pods, subresource: "eviction", namespace, name, object: eviction as unknown as ApiObject }, ctx && withDryRun(ctx, dryRun));
  const deletePod = async (): Promise<apiserverV1.ObjectReply> => {
    await registry.delete(pods, namespace, name, {
      gracePeriodSeconds: eviction.deleteOptions?.gracePeriodSeconds,
      propagationPolicy: "",
      preconditions: eviction.deleteOptions?.preconditions,
      dryRun,
    }, ctx);
    return { object: encodeEviction(eviction, req.accept) };
  };

  for (let attempt = 0; ; attempt++) {
    const pod = await registry.get(pods, namespace, name);
    const phase = pod.status?.phase ?? "";
    if (phase === "Succeeded" || phase === "Failed" || phase === "Pending" || pod.metadata?.deletionTimestamp) return deletePod();
    const budgets = (await registry.list(pdbs, { namespace, labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" })).items.filter((b) => pdbSelectsPod(b, pod));
    if (budgets.length === 0) return deletePod();
    if (budgets.length > 1) throw apiErrors.apiError("InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    const pdb = budgets[0]!;
    const ready = pod.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    if (!ready) {
      // An unhealthy pod may go without spending the budget when the policy says so or the budget is met anyway.
      const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? "IfHealthyBudget";
      const status = pdb.status;
      if (policy === "AlwaysAllow" || (status && status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy)) return deletePod();
    }
    checkBudget(pdb);
    if (dryRun) return deletePod();
    const spent = policyV1.PodDisruptionBudget.fromPartial({ ...pdb, apiVersion: "policy/v1", kind: "PodDisruptionBudget" });
    spent.status!.disruptionsAllowed -= 1;
    spent.status!.disruptedPods = { ...spent.status!.disruptedPods, [name]: timestamp(now()) };
    try {
      await registry.updateStatus(pdbs, namespace, spent);
    } catch (err) {
      // Another eviction spent from the same budget first: look again at the new budget.
      if (isConflict(err) && attempt < BUDGET_RETRIES) continue;
      if (isConflict(err)) throw apiErrors.apiError("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", undefined, [budgetCause(pdb)]);
      throw err;
    }
    return deletePod();
  }
}

/** Refuses an eviction the budget cannot pay for, with Kubernetes' reasons and wording. */
function checkBudget(pdb: PodDisruptionBudget): void {
  const status = pdb.status;
  if (!status || (status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
    throw apiErrors.apiError("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", undefined, [
      { reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata!.name} is still being processed by the server.`, field: "" },
    ]);
  }
  if (status.disruptionsAllowed < 0) throw apiErrors.apiError("Forbidden", "pdb disruptions allowed is negative");
  if (Object.keys(status.disruptedPods).length > MAX_DISRUPTED_PODS) throw apiErrors.apiError("Forbidden", "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
  if (status.disruptionsAllowed === 0) throw apiErrors.apiError("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", undefined, [budgetCause(pdb)]);
}

function budgetCause(pdb: PodDisruptionBudget): { reason: string; message: string; field: string } {
  const s = pdb.status;
  return { reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata!.name} needs ${s?.desiredHealthy ?? 0} healthy pods and has ${s?.currentHealthy ?? 0} currently`, field: "" };
}

function decodeEviction(raw: apiserverV1.RawObject | undefined): Eviction {
  if (!raw) return policyV1.Eviction.fromPartial({});
  if (raw.encoding === Encoding.ENCODING_JSON) {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(raw.data).toString("utf8"));
    } catch (err) {
      throw apiErrors.badRequest(`the Eviction is not valid JSON: ${(err as Error).message}`);
    }
    const { object, errors } = decodeMessageJson(EVICTION_TYPE, policyV1.Eviction, json);
    if (!object) throw apiErrors.badRequest("error decoding Eviction", errors);
    return object;
  }
  return policyV1.Eviction.decode(raw.data);
}

function encodeEviction(eviction: Eviction, accept: apiserverV1.Encoding): apiserverV1.RawObject {
  const out = policyV1.Eviction.fromPartial({ ...eviction, apiVersion: "policy/v1", kind: "Eviction" });
  if (accept === Encoding.ENCODING_JSON) return { data: Buffer.from(JSON.stringify(encodeMessageJson(EVICTION_TYPE, policyV1.Eviction, out))), encoding: Encoding.ENCODING_JSON };
  return { data: asBuffer(policyV1.Eviction.encode(out).finish()), encoding: Encoding.ENCODING_PROTOBUF };
}
