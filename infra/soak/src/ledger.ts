// The soak's ConfigMap writers and their ledger: every acknowledged write is recorded, every unanswered one kept as a possible outcome, and reads are checked against both.
import { isAlreadyExists, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";

type Json = Record<string, unknown>;
export const configMaps = kindFor("v1", "ConfigMap") as KindInfo;

/** What one key holds: the write's sequence number and resourceVersion, or deleted. */
export interface KeyValue {
  seq: number;
  resourceVersion: string;
  deleted: boolean;
}

interface KeyState {
  /** The last acknowledged write (or the state read after an unanswered one); undefined before the first create. */
  acked: KeyValue | undefined;
  /** Writes sent since `acked` without an answer: each may or may not have been applied (seq; -1 a delete). */
  uncertain: number[];
}

/** A write or read that contradicts the ledger. */
export interface Violation {
  key: string;
  expected: string;
  found: string;
  /** True when an acknowledged write is missing (it counts as lost). */
  lost: boolean;
}

/** What the ConfigMap writers did. Counters only grow; read them at any time. */
export interface LedgerStats {
  acknowledged: number;
  unanswered: number;
  rejected: number;
  /** performance.now() of the latest acknowledged write. */
  lastAckAt: number;
}

const describe = (v: KeyValue | undefined): string => (v === undefined ? "absent" : v.deleted ? "deleted" : `seq ${v.seq} rv ${v.resourceVersion}`);

/**
 * Writers of `keys` ConfigMaps (cm-0…) in `namespace`, one writer per `writers` keys' residue so no
 * two writers touch one key. Each write creates, updates (with the acknowledged resourceVersion)
 * or deletes a key, with data {seq} unique per write. After an unanswered write (Unavailable,
 * deadline) the writer reads the key before its next write and accepts only the acknowledged state
 * or one of the unanswered writes; anything else is a Violation.
 */
export class Ledger {
  readonly stats: LedgerStats = { acknowledged: 0, unanswered: 0, rejected: 0, lastAckAt: performance.now() };
  readonly violations: Violation[] = [];
  private readonly state = new Map<string, KeyState>();
  private seq = 0;

  constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
    readonly keys: number,
  ) {
    for (let i = 0; i < keys; i++) this.state.set(`cm-${i}`, { acked: undefined, uncertain: [] });
  }

  /** Runs `writers` writer loops until `signal` aborts; each waits `pauseMs` between writes. */
  async run(writers: number, pauseMs: number, signal: AbortSignal): Promise<void> {
    await Promise.all(Array.from({ length: writers }, (_, w) => this.writer(w, writers, pauseMs, signal)));
  }

  private async writer(w: number, writers: number, pauseMs: number, signal: AbortSignal): Promise<void> {
    const mine = [...this.state.keys()].filter((_, i) => i % writers === w);
    while (!signal.aborted) {
      const key = mine[Math.floor(Math.random() * mine.length)]!;
      const ok = await this.writeOnce(key).catch(() => false);
      await new Promise((r) => setTimeout(r, ok ? pauseMs : 250));
    }
  }

  /** One write of `key` (after resolving earlier unanswered writes); true when acknowledged. */
  private async writeOnce(key: string): Promise<boolean> {
    const st = this.state.get(key)!;
    if (st.uncertain.length > 0) await this.resolve(key, st);
    const seq = ++this.seq;
    const exists = st.acked !== undefined && !st.acked.deleted;
    const op = !exists ? "create" : Math.random() < 0.15 ? "delete" : "update";
    const body: Json = { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: this.namespace, name: key }, data: { seq: String(seq) } };
    try {
      let value: KeyValue;
      if (op === "create") {
        const out = await this.client.json.create(configMaps, body);
        value = { seq, resourceVersion: rvOf(out), deleted: false };
      } else if (op === "update") {
        (body.metadata as Json).resourceVersion = st.acked!.resourceVersion;
        const out = await this.client.json.update(configMaps, body);
        value = { seq, resourceVersion: rvOf(out), deleted: false };
      } else {
        await this.client.json.delete(configMaps, this.namespace, key, { preconditions: { resourceVersion: st.acked!.resourceVersion } });
        value = { seq: -1, resourceVersion: "", deleted: true };
      }
      st.acked = value;
      this.stats.acknowledged++;
      this.stats.lastAckAt = performance.now();
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err) || isNotFound(err)) {
        // A definite "not applied": the key must still hold the acknowledged state.
        this.stats.rejected++;
        await this.resolve(key, st, `${op} seq ${seq} refused (${(err as Error).message.slice(0, 80)})`);
        return true;
      }
      this.stats.unanswered++;
      st.uncertain.push(op === "delete" ? -1 : seq);
      return false;
    }
  }

  /** Reads `key` until the apiserver answers and checks it against the ledger; the read becomes the acknowledged state. */
  private async resolve(key: string, st: KeyState, refused?: string): Promise<void> {
    const found = await this.read(key);
    const check = this.judge(key, st, found);
    if (check) this.violations.push(refused ? { ...check, found: `${check.found} after ${refused}` } : check);
    st.acked = found;
    st.uncertain = [];
  }

  /** The key's stored state, retried through errors for up to 2 minutes. */
  async read(key: string): Promise<KeyValue | undefined> {
    const deadline = performance.now() + 120_000;
    for (;;) {
      try {
        const obj = await this.client.json.get(configMaps, this.namespace, key);
        return { seq: Number((obj.data as Record<string, string>).seq), resourceVersion: rvOf(obj), deleted: false };
      } catch (err) {
        if (isNotFound(err)) return { seq: -1, resourceVersion: "", deleted: true };
        if (performance.now() > deadline) throw new Error(`reading ConfigMap ${key} failed for 2 minutes`, { cause: err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** A Violation when `found` is neither the acknowledged state nor an unanswered write's outcome. */
  private judge(key: string, st: KeyState, found: KeyValue | undefined): Violation | undefined {
    const acked = st.acked ?? { seq: -1, resourceVersion: "", deleted: true };
    const same = found !== undefined && found.deleted === acked.deleted && (found.deleted || (found.seq === acked.seq && found.resourceVersion === acked.resourceVersion));
    if (same) return undefined;
    if (found !== undefined && st.uncertain.includes(found.deleted ? -1 : found.seq)) return undefined;
    return { key, expected: `${describe(st.acked)}${st.uncertain.length ? ` or one of unanswered [${st.uncertain.join(", ")}]` : ""}`, found: describe(found), lost: true };
  }

  /** Final check: every key read once more and judged; returns the violations found now. */
  async verify(): Promise<Violation[]> {
    const found: Violation[] = [];
    for (const [key, st] of this.state) {
      const v = this.judge(key, st, await this.read(key));
      if (v) found.push(v);
    }
    this.violations.push(...found);
    return found;
  }
}

const rvOf = (obj: Json): string => String((obj.metadata as Json).resourceVersion);
