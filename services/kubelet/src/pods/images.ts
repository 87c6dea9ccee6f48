// Image pulls honouring imagePullPolicy, with back-off: ErrImagePull on a failure, then
// ImagePullBackOff while the back-off lasts (what the kubelet reports), and the kubelet's image events.
import type { coreV1Pod } from "@kubeplane/api";
import type { EventType } from "@kubeplane/client";
import type { ImageService } from "../runtime/types.js";
import type { Backoff } from "./backoff.js";
import { EVENT_REASONS } from "../events.js";
import type { WaitingReason } from "./status.js";

/** The image is ready to use (`ref`), or the container must wait for `waiting` (retry after `retryAfterMs`). */
export type EnsureImageResult = { ref: string } | { waiting: WaitingReason; retryAfterMs: number };

/** Records an Event about the container whose image is ensured (bound to its pod by the caller). */
export type ContainerEventSink = (type: EventType, reason: string, message: string) => void;

/** A duration as Go prints a time.Duration truncated to milliseconds: "850ms", "1.234s". */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  return whole < 1000 ? `${whole}ms` : `${whole / 1000}s`;
}

/** The pull policy in effect: the container's, else Always for :latest or no tag, else IfNotPresent. */
export function pullPolicy(container: coreV1Pod.Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const ref = container.image;
  const lastSlash = ref.lastIndexOf("/");
  const tagged = ref.indexOf(":", lastSlash + 1) >= 0 || ref.includes("@");
  return !tagged || ref.endsWith(":latest") ? "Always" : "IfNotPresent";
}

/** Pulls images for pod workers. Keys are per pod and container, so one pod's failures do not delay another's. */
export class ImagePuller {
  private readonly failures = new Map<string, { at: number; message: string }>();
  /** Milliseconds spent in pulls, per key: the pod start SLI leaves them out. */
  private readonly pullingMs = new Map<string, number>();
  /**
   * Recent presence checks per image (one CRI ImageStatus shared by the pods starting at once, e.g. a
   * burst of replicas): a present image is trusted for `presentTtlMs`; an absent one is asked again.
   */
  private readonly present = new Map<string, { at: number; status: Promise<{ id: string } | undefined> }>();

  constructor(
    private readonly images: ImageService,
    private readonly backoff: Backoff,
    private readonly presentTtlMs = 5_000,
  ) {}

  /** The image's status from a check at most presentTtlMs old, or a new check. */
  private imageStatus(image: string): Promise<{ id: string } | undefined> {
    const now = Date.now();
    const cached = this.present.get(image);
    if (cached && now - cached.at < this.presentTtlMs) return cached.status;
    const status = this.images.imageStatus(image).then((s) => (s ? { id: s.id } : undefined));
    this.present.set(image, { at: now, status });
    // Only a present image is remembered: an absent one (or a failed check) is asked again next time.
    status.then(
      (s) => {
        if (!s && this.present.get(image)?.status === status) this.present.delete(image);
      },
      () => {
        if (this.present.get(image)?.status === status) this.present.delete(image);
      },
    );
    return status;
  }

  /** Forgets that `image` was present (a container create with it failed: it may have been removed). */
  forgetImage(image: string): void {
    this.present.delete(image);
  }

  /**
   * Makes the container's image present per its pull policy, telling `record` what it did as the
   * kubelet's events do (Pulling, Pulled, Failed, BackOff, ErrImageNeverPull).
   */
  async ensure(container: coreV1Pod.Container, key: string, record: ContainerEventSink = () => undefined): Promise<EnsureImageResult> {
    const image = container.image;
    const policy = pullPolicy(container);
    if (policy !== "Always") {
      const present = await this.imageStatus(image);
      if (present) {
        record("Normal", EVENT_REASONS.PulledImage, `Container image "${image}" already present on machine`);
        return { ref: present.id };
      }
      if (policy === "Never") {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        record("Warning", EVENT_REASONS.ErrImageNeverPull, message);
        return { waiting: { reason: "ErrImageNeverPull", message }, retryAfterMs: this.backoff.initialMs };
      }
    }
    const last = this.failures.get(key);
    if (last && this.backoff.isInBackOffSince(key, last.at)) {
      record("Normal", EVENT_REASONS.BackOffPullImage, `Back-off pulling image "${image}"`);
      return { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}": ${last.message}` }, retryAfterMs: this.backoff.remaining(key, last.at) };
    }
    record("Normal", EVENT_REASONS.PullingImage, `Pulling image "${image}"`);
    const started = Date.now();
    try {
      const ref = await this.images.pullImage(image).finally(() => this.pullingMs.set(key, (this.pullingMs.get(key) ?? 0) + Date.now() - started));
      this.present.delete(image);
      this.failures.delete(key);
      this.backoff.reset(key);
      record("Normal", EVENT_REASONS.PulledImage, `Successfully pulled image "${image}" in ${formatDuration(Date.now() - started)}`);
      return { ref };
    } catch (err) {
      const message = `failed to pull image "${image}": ${(err as Error).message}`;
      const delay = this.backoff.next(key);
      this.failures.set(key, { at: Date.now(), message });
      record("Warning", EVENT_REASONS.FailedToPullImage, `Failed to pull image "${image}": ${(err as Error).message}`);
      return { waiting: { reason: "ErrImagePull", message }, retryAfterMs: delay };
    }
  }

  /** Milliseconds spent pulling images for keys starting with prefix (a pod's containers), failed pulls included. */
  pullingTime(prefix: string): number {
    let ms = 0;
    for (const [key, spent] of this.pullingMs) if (key.startsWith(prefix)) ms += spent;
    return ms;
  }

  /** Forgets everything about keys starting with prefix (a pod that went). */
  forget(prefix: string): void {
    for (const key of this.failures.keys()) if (key.startsWith(prefix)) this.failures.delete(key);
    for (const key of this.pullingMs.keys()) if (key.startsWith(prefix)) this.pullingMs.delete(key);
    this.backoff.resetPrefix(prefix);
  }
}
