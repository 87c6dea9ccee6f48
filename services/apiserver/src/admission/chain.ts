// The admission chain (Kubernetes' admission.chainAdmissionHandler): every enabled mutating plugin in order,
// then every validating one, timed per plugin and per phase. The Registry runs it on each write.
import { apiErrors, isApiError, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { RequestContext } from "../request-context.js";
import type { AdmissionAttributes, AdmissionOperation, AdmissionStore, MutatingAdmissionPlugin, ValidatingAdmissionPlugin } from "./interfaces.js";
import type { AdmissionMetrics } from "./metrics.js";

/** A plugin of the ordered list: mutating, validating, or both (LimitRanger). */
export type AdmissionPlugin = (MutatingAdmissionPlugin | ValidatingAdmissionPlugin) & Partial<MutatingAdmissionPlugin & ValidatingAdmissionPlugin> & {
  /** Background work the plugin needs (an informer-like cache), run until the signal aborts. */
  run?(signal: AbortSignal): Promise<void>;
};

/** One write to admit: what the request is, without who asks (that comes from the RequestContext). */
export interface AdmissionRequest {
  readonly operation: AdmissionOperation;
  readonly info: KindInfo;
  readonly subresource?: string;
  readonly namespace: string;
  readonly name: string;
  readonly object?: ApiObject | undefined;
  readonly oldObject?: ApiObject | undefined;
}

/** Admission's entry point, as the Registry sees it. */
export interface Admission {
  /** Runs the chain; throws the first refusal (an ApiError). Mutating plugins change `request.object` in place. */
  admit(request: AdmissionRequest, ctx: RequestContext): Promise<void>;
}

const isMutating = (p: AdmissionPlugin): p is AdmissionPlugin & MutatingAdmissionPlugin => typeof p.admit === "function";
const isValidating = (p: AdmissionPlugin): p is AdmissionPlugin & ValidatingAdmissionPlugin => typeof p.validate === "function";

/**
 * Runs plugins in the order given (plugins.ts keeps Kubernetes' order): the mutating phase, then the
 * validating phase, each plugin only for requests it `handles`. The first refusal ends the request:
 * an ApiError passes through as the plugin worded it (Kubernetes' plugins name their policy in the
 * message: "violates PodSecurity", "exceeded quota"); anything else becomes Forbidden naming the
 * plugin, as kube-apiserver wraps a plugin's plain error. Safe for concurrent requests; plugins must be too.
 */
export class AdmissionChain implements Admission {
  private readonly mutating: (AdmissionPlugin & MutatingAdmissionPlugin)[];
  private readonly validating: (AdmissionPlugin & ValidatingAdmissionPlugin)[];

  constructor(
    readonly plugins: readonly AdmissionPlugin[],
    private readonly store: AdmissionStore,
    private readonly metrics?: AdmissionMetrics,
  ) {
    this.mutating = plugins.filter(isMutating);
    this.validating = plugins.filter(isValidating);
  }

  /** The enabled plugins' names, in order. */
  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  /** Runs the plugins' background work (caches) until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.plugins.map((p) => p.run?.(signal)));
  }

  async admit(request: AdmissionRequest, ctx: RequestContext): Promise<void> {
    const attrs: AdmissionAttributes = {
      operation: request.operation,
      info: request.info,
      subresource: request.subresource ?? "",
      namespace: request.namespace,
      name: request.name,
      object: request.object,
      oldObject: request.oldObject,
      user: ctx.user,
      dryRun: ctx.dryRun,
      warnings: ctx.warnings,
      auditAnnotations: ctx.auditAnnotations,
    };
    await this.phase("admit", attrs, this.mutating, (p) => p.admit(attrs, this.store));
    await this.phase("validate", attrs, this.validating, (p) => p.validate(attrs, this.store));
  }

  private async phase<P extends AdmissionPlugin>(type: "admit" | "validate", attrs: AdmissionAttributes, plugins: readonly P[], call: (p: P) => Promise<void>): Promise<void> {
    const stepStarted = performance.now();
    let rejected = false;
    try {
      for (const plugin of plugins) {
        if (!plugin.handles(attrs)) continue;
        const started = performance.now();
        try {
          await call(plugin);
        } catch (err) {
          rejected = true;
          this.metrics?.controller.observe({ name: plugin.name, operation: attrs.operation, rejected: "true", type }, (performance.now() - started) / 1000);
          throw refusal(plugin.name, attrs, err);
        }
        this.metrics?.controller.observe({ name: plugin.name, operation: attrs.operation, rejected: "false", type }, (performance.now() - started) / 1000);
      }
    } finally {
      this.metrics?.step.observe({ operation: attrs.operation, rejected: String(rejected), type }, (performance.now() - stepStarted) / 1000);
    }
  }
}

/** A plugin's refusal as the request's error. */
function refusal(plugin: string, attrs: AdmissionAttributes, err: unknown): unknown {
  if (isApiError(err)) return err;
  const why = err instanceof Error ? err.message : String(err);
  const resource = attrs.subresource ? `${attrs.info.resource}/${attrs.subresource}` : attrs.info.resource;
  return apiErrors.forbidden({ group: attrs.info.group, resource, name: attrs.name }, `admission plugin "${plugin}" failed: ${why}`);
}

/** The Admission of a registry with admission off (tests of the bare store, debugging). */
export const noAdmission: Admission = { admit: () => Promise.resolve() };
