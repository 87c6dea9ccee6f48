// Creates or reconciles the KP_WATCH JetStream stream that holds every watch event.
import { DiscardPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from "nats";
import { ALL_SUBJECTS, KP_WATCH } from "./subjects.js";

/** Retention and durability of the watch stream. */
export interface WatchStreamOptions {
  /** JetStream replicas (1 or 3 in production). Default 1. */
  replicas?: number;
  /** How long events are kept, in ms: the longest a watcher can be away and still resume. Default 1 h. */
  maxAgeMs?: number;
  /** Keep at most this many events (oldest discarded first). Default unlimited. */
  maxMessages?: number;
  /** Keep at most this many bytes (oldest discarded first). Default unlimited. */
  maxBytes?: number;
  /** How long a `Nats-Msg-Id` is remembered for de-duplication, in ms. Default 2 min. */
  duplicateWindowMs?: number;
}

const HOUR_MS = 60 * 60 * 1000;
const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** The stream configuration `ensureStream` converges to. */
export function watchStreamConfig(opts: WatchStreamOptions = {}): Partial<StreamConfig> & { name: string } {
  return {
    name: KP_WATCH,
    subjects: [ALL_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: opts.replicas ?? 1,
    max_age: nanos(opts.maxAgeMs ?? HOUR_MS),
    max_msgs: opts.maxMessages ?? -1,
    max_bytes: opts.maxBytes ?? -1,
    duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    // Direct gets name the subject in the request subject, so NATS permissions can allow exactly the
    // gap marker's lookup to informers without letting them read any message by sequence.
    allow_direct: true,
  };
}

/**
 * Creates the watch stream, or updates it when its configuration differs from `opts`; safe to call
 * from every apiserver at start, concurrently. Throws the NATS error when JetStream refuses (e.g. a
 * replica count the cluster cannot place).
 */
export async function ensureStream(jsm: JetStreamManager, opts: WatchStreamOptions = {}): Promise<StreamInfo> {
  const want = watchStreamConfig(opts);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(KP_WATCH);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    try {
      return await jsm.streams.add(want);
    } catch (addError) {
      // Another apiserver created it first: fall through and reconcile its config.
      if (!/already in use|already exists/i.test(String((addError as Error).message))) throw addError;
      info = await jsm.streams.info(KP_WATCH);
    }
  }
  const have = info.config as unknown as Record<string, unknown>;
  const differs = Object.entries(want).some(([key, value]) => JSON.stringify(have[key]) !== JSON.stringify(value));
  return differs ? jsm.streams.update(KP_WATCH, want) : info;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}
