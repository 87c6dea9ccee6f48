// A container's environment as the kubelet builds it: envFrom, then env with $(VAR) expansion and valueFrom.

import type { coreV1Config, coreV1Pod } from "@kubeplane/api";
import type { KeyValue } from "../runtime/types.js";
import { CreateContainerConfigError } from "./errors.js";
import { expand } from "./expansion.js";
import { containerResourceValue, podFieldValue, type FieldRefContext } from "./field-ref.js";

type Pod = coreV1Pod.Pod;
type Container = coreV1Pod.Container;
type ConfigMap = coreV1Config.ConfigMap;
type Secret = coreV1Config.Secret;

/** What resolveEnv reads besides the pod: object getters (from the kubelet's informers) and node facts. */
export interface EnvContext extends FieldRefContext {
  /** The ConfigMap ns/name, or undefined when it does not exist. Other errors propagate as the cause. */
  getConfigMap(ns: string, name: string): Promise<ConfigMap | undefined>;
  /** The Secret ns/name (data base64-encoded, as in the API), or undefined when it does not exist. */
  getSecret(ns: string, name: string): Promise<Secret | undefined>;
  /** The node's allocatable resources, used by resourceFieldRef limits.* when the container sets no limit. */
  nodeAllocatable?: Record<string, string>;
  /** Called with the keys of an envFrom source skipped as invalid env var names (the kubelet emits an event). */
  onInvalidKeys?(source: string, keys: string[]): void;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Whether name is a valid environment variable name (Kubernetes' IsEnvVarName). */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** Decodes a Secret's base64 data value to its utf8 text. */
export function secretValue(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/**
 * The container's environment, as Kubernetes' makeEnvironmentVariables: every key of each envFrom source
 * (prefixed; invalid names skipped and reported; a missing optional source skipped), then each env var in
 * order, later definitions overriding earlier ones. A literal value expands $(VAR) against the variables
 * defined before it. Throws CreateContainerConfigError for a missing non-optional ConfigMap, Secret or key
 * and for an unsupported fieldRef or resourceFieldRef. Service link variables are not generated.
 */
export async function resolveEnv(pod: Pod, container: Container, ctx: EnvContext): Promise<KeyValue[]> {
  const ns = pod.metadata?.namespace ?? "";
  const env = new Map<string, string>();
  const fail = (message: string, cause?: unknown): never => {
    throw new CreateContainerConfigError(message, container.name, { cause });
  };

  for (const source of container.envFrom) {
    let data: Record<string, string> | undefined;
    let label: string;
    if (source.configMapRef) {
      const ref = source.configMapRef;
      label = `configMap ${ns}/${ref.name}`;
      const cm = await ctx.getConfigMap(ns, ref.name);
      if (!cm && !ref.optional) fail(`couldn't get configMap ${ns}/${ref.name}: configmap "${ref.name}" not found`);
      data = cm?.data;
    } else if (source.secretRef) {
      const ref = source.secretRef;
      label = `secret ${ns}/${ref.name}`;
      const secret = await ctx.getSecret(ns, ref.name);
      if (!secret && !ref.optional) fail(`couldn't get secret ${ns}/${ref.name}: secret "${ref.name}" not found`);
      data = secret ? Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, secretValue(v)])) : undefined;
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const key of Object.keys(data ?? {}).sort()) {
      const name = source.prefix + key;
      if (!isEnvVarName(name)) invalid.push(name);
      else env.set(name, data?.[key] ?? "");
    }
    if (invalid.length > 0) ctx.onInvalidKeys?.(label, invalid);
  }

  for (const v of container.env) {
    if (v.value !== "") {
      env.set(v.name, expand(v.value, (name) => env.get(name)));
      continue;
    }
    const from = v.valueFrom;
    if (!from) {
      env.set(v.name, "");
      continue;
    }
    if (from.configMapKeyRef) {
      const { name, key, optional } = from.configMapKeyRef;
      const cm = await ctx.getConfigMap(ns, name);
      if (!cm) {
        if (optional) continue;
        fail(`couldn't get configMap ${ns}/${name}: configmap "${name}" not found`);
      }
      const value = cm?.data[key]; // like Kubernetes, binaryData is not readable as env
      if (value === undefined) {
        if (optional) continue;
        fail(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      env.set(v.name, value ?? "");
    } else if (from.secretKeyRef) {
      const { name, key, optional } = from.secretKeyRef;
      const secret = await ctx.getSecret(ns, name);
      if (!secret) {
        if (optional) continue;
        fail(`couldn't get secret ${ns}/${name}: secret "${name}" not found`);
      }
      const raw = secret?.data[key];
      if (raw === undefined) {
        if (optional) continue;
        fail(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      env.set(v.name, secretValue(raw ?? ""));
    } else if (from.fieldRef) {
      const value = podFieldValue(pod, from.fieldRef.fieldPath, ctx);
      if (value === undefined) fail(`unsupported fieldPath: ${from.fieldRef.fieldPath}`);
      env.set(v.name, value ?? "");
    } else if (from.resourceFieldRef) {
      env.set(v.name, resourceValue(pod, container, from.resourceFieldRef, ctx, fail));
    } else {
      env.set(v.name, "");
    }
  }
  return [...env].map(([key, value]) => ({ key, value }));
}

function resourceValue(
  pod: Pod,
  container: Container,
  selector: NonNullable<coreV1Pod.EnvVarSource["resourceFieldRef"]>,
  ctx: EnvContext,
  fail: (message: string, cause?: unknown) => never,
): string {
  const target = selector.containerName
    ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === selector.containerName)
    : container;
  if (!target) return fail(`container ${selector.containerName} not found in pod`);
  let value: string | undefined;
  try {
    value = containerResourceValue(selector, target, ctx.nodeAllocatable);
  } catch (err) {
    return fail(`invalid resourceFieldRef ${selector.resource}: ${(err as Error).message}`, err);
  }
  return value ?? fail(`unsupported container resource : ${selector.resource}`);
}

/** Expands $(VAR) in a container's command or args against its resolved environment (unknown names stay). */
export function expandArgs(args: string[], env: KeyValue[]): string[] {
  const map = new Map(env.map((kv) => [kv.key, kv.value]));
  return args.map((arg) => expand(arg, (name) => map.get(name)));
}
