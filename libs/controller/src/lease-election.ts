// Leader election through a coordination.k8s.io/v1 Lease in the apiserver (client-go's leaderelection).
import { coordinationV1, isAlreadyExists, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "./logger.js";

type Lease = coordinationV1.Lease;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<Lease>;

/** Options of `LeaseElection`; validated by its constructor (renewDeadline < leaseDuration, retryPeriod < renewDeadline). */
export interface LeaseElectionOptions {
  /** The Lease's namespace and name, e.g. kube-system/kube-controller-manager. */
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease stays valid after its last renewal. Default 15 s. */
  leaseDurationMs?: number;
  /**
   * A leader that cannot renew for this long steps down; it also bounds every call to the apiserver
   * (not the client's own deadline), so a hung connection cannot outlast it. Default 10 s; must be
   * less than leaseDuration, the margin by which the old leader stops before a standby can start.
   */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  logger: Logger;
  /** Told when leadership starts (true) and ends (false). */
  onChange?: (leading: boolean) => void;
}

/** Ends a leader's term: the lease was not renewed within renewDeadline (the term signal's reason). */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
  readonly code = "LeaseLost";
}

/** MicroTime, as Kubernetes writes Lease times. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * One campaigner. A lease is taken over when its holder has not renewed for `leaseDurationMs`
 * as observed by this process's clock (not the holder's, so clock skew does not matter); the
 * leader renews every `retryPeriodMs` and steps down when it could not for `renewDeadlineMs`.
 * Renewal is a compare-and-swap on the Lease's resourceVersion.
 */
export class LeaseElection {
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed: { holder: string; renewTime: string; at: number } | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly options: LeaseElectionOptions,
  ) {
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs > 0 && this.renewDeadlineMs < this.durationMs)) {
      throw new RangeError(`renewDeadline (${this.renewDeadlineMs} ms) must be greater than 0 and less than leaseDuration (${this.durationMs} ms)`);
    }
    if (!(this.retryMs > 0 && this.retryMs < this.renewDeadlineMs)) {
      throw new RangeError(`retryPeriod (${this.retryMs} ms) must be greater than 0 and less than renewDeadline (${this.renewDeadlineMs} ms)`);
    }
  }

  /**
   * Campaigns until leading, then runs `onLeading` with a signal that aborts when leadership is
   * lost; resolves `true` when the outer signal ended it (after releasing the lease), `false` when
   * leadership was lost (callers should exit: another replica now acts).
   *
   * Fencing: leadership is valid until (start of the last successful acquire or renew call) +
   * renewDeadline. At that instant the term signal aborts, whether or not a call is still hanging,
   * and each call is cancelled at that instant too. A standby cannot take over before it has seen
   * the lease unrenewed for leaseDuration, counted from when its read of that renewal returned
   * (no earlier than the renewal's commit, so no earlier than that call's start), so the old
   * leader's term ends (leaseDuration − renewDeadline) before a new one can begin.
   */
  async run(signal: AbortSignal, onLeading: (term: AbortSignal) => Promise<void>): Promise<boolean> {
    let renewedAt = 0;
    while (!signal.aborted) {
      const sentAt = Date.now();
      if (await this.tryAcquireOrRenew(this.callSignal(signal, sentAt + this.renewDeadlineMs)).catch(() => false)) {
        renewedAt = sentAt;
        // A call that took the whole deadline leaves no valid term: campaign (renew) again.
        if (Date.now() < renewedAt + this.renewDeadlineMs) break;
      }
      await this.sleep(this.retryMs, signal);
    }
    if (signal.aborted) return true;
    const term = new AbortController();
    const stop = (): void => term.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.options.logger.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity }, "became leader");
    this.options.onChange?.(true);
    const renewing = this.renewLoop(term, renewedAt);
    try {
      await onLeading(term.signal);
    } finally {
      term.abort();
      await renewing;
      signal.removeEventListener("abort", stop);
      this.options.onChange?.(false);
    }
    if (signal.aborted) {
      await this.release();
      return true;
    }
    return false;
  }

  /**
   * Renews every retryPeriod until the term ends. The fence is a timer at renewedAt +
   * renewDeadline, moved forward by each successful renewal; when it fires the term aborts at once.
   */
  private async renewLoop(term: AbortController, renewedAt: number): Promise<void> {
    let fence: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(fence);
      fence = setTimeout(() => {
        this.options.logger.warn({ lease: this.options.name, renewDeadlineMs: this.renewDeadlineMs }, "could not renew the lease in time: stepping down");
        term.abort(new LeaseLostError(`lease ${this.options.namespace}/${this.options.name} not renewed within ${this.renewDeadlineMs} ms`));
      }, Math.max(0, renewedAt + this.renewDeadlineMs - Date.now()));
    };
    arm();
    try {
      while (!term.signal.aborted) {
        await this.sleep(this.retryMs, term.signal);
        if (term.signal.aborted) return;
        const sentAt = Date.now();
        // Bounded by the fence: a call still pending when leadership ends is cancelled with it.
        if (await this.tryAcquireOrRenew(this.callSignal(term.signal, renewedAt + this.renewDeadlineMs)).catch(() => false)) {
          if (term.signal.aborted) return;
          renewedAt = sentAt;
          arm();
        }
      }
    } finally {
      clearTimeout(fence);
    }
  }

  /** A signal for one call: aborts with `parent` or at `deadline` (epoch ms), whichever comes first. */
  private callSignal(parent: AbortSignal, deadline: number): AbortSignal {
    return AbortSignal.any([parent, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]);
  }

  /** One attempt: create the lease, renew ours, or take over an expired one. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = Date.now();
    let current: Lease;
    try {
      current = (await this.client.get(leases, namespace, name, { signal })) as Lease;
    } catch (err) {
      if (!isNotFound(err)) return false;
      try {
        await this.client.create(
          leases,
          coordinationV1.Lease.fromPartial({
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          }),
          { signal },
        );
        return true;
      } catch (createErr) {
        if (isAlreadyExists(createErr)) return false;
        return false;
      }
    }
    const spec = current.spec ?? coordinationV1.LeaseSpec.fromPartial({});
    const holder = spec.holderIdentity ?? "";
    // A renewal is observed when the read returns, not when it was sent (as client-go's observedTime):
    // a slow read can carry a renewal its holder sent after this call started, and that holder's
    // term runs until its own send time + renewDeadline. Counting from the call's start would let a
    // standby take over up to one read's latency early, while the old leader still acts.
    const observedAt = Date.now();
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== spec.renewTime) {
      this.observed = { holder, renewTime: spec.renewTime, at: observedAt };
    }
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const held = holder !== "" && holder !== identity && this.observed.at + durationMs > observedAt;
    if (held) return false;
    const next = coordinationV1.Lease.fromPartial(current);
    next.spec = coordinationV1.LeaseSpec.fromPartial({
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      renewTime: microTime(now),
      acquireTime: holder === identity ? spec.acquireTime : microTime(now),
      leaseTransitions: holder === identity ? spec.leaseTransitions : (spec.leaseTransitions ?? 0) + 1,
    });
    try {
      const saved = (await this.client.update(leases, next, { signal })) as Lease;
      this.observed = { holder: identity, renewTime: saved.spec!.renewTime, at: now };
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      return false;
    }
  }

  /** Gives the lease up so a standby takes over at once. */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      const current = (await this.client.get(leases, this.options.namespace, this.options.name, { signal })) as Lease;
      if (current.spec?.holderIdentity !== this.options.identity) return;
      const next = coordinationV1.Lease.fromPartial(current);
      next.spec!.holderIdentity = "";
      next.spec!.leaseDurationSeconds = 1;
      next.spec!.renewTime = microTime(Date.now());
      await this.client.update(leases, next, { signal });
    } catch (err) {
      this.options.logger.warn({ err }, "could not release the lease");
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
