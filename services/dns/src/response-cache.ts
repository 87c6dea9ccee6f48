// The answer cache: encoded responses per question (name as asked, type, class) and size limit, dropped whenever the record index changes.

/** Entries kept at most; past it the cache starts over (a cluster zone's hot set is far smaller). */
const MAX_ENTRIES = 50_000;
const HEADER = 12;
const TYPE_OPT = 41;

/** What `questionKey` reads from a query without allocating more than the key. */
export interface QuestionKey {
  /** The cache key: the UDP size limit, EDNS presence and the question's bytes. */
  key: string;
  qtype: number;
  /** The query's RD and CD bits, to copy into a cached response. */
  rd: boolean;
  cd: boolean;
}

/**
 * The cache key of a plain query — opcode QUERY, one question, no answer or authority records,
 * at most one additional record and that an EDNS version 0 OPT — or undefined for anything else
 * (those take the full path). The name's bytes are the key as sent: its case is echoed in the
 * answer, so another case is another entry. `tcp` lifts the size limit.
 */
export function questionKey(msg: Buffer, tcp: boolean): QuestionKey | undefined {
  const len = msg.length;
  if (len < HEADER + 5) return undefined;
  const flags = msg[2]!;
  // QR set (a response) or an opcode other than QUERY.
  if ((flags & 0xf8) !== 0) return undefined;
  if (msg[4] !== 0 || msg[5] !== 1 || msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0 || msg[10] !== 0) return undefined;
  const additional = msg[11]!;
  let offset = HEADER;
  for (;;) {
    const label = msg[offset]!;
    if (label === 0) break;
    if (label > 63) return undefined;
    offset += label + 1;
    if (offset >= len) return undefined;
  }
  const end = offset + 5;
  if (end > len || end - HEADER > 259) return undefined;
  let maxSize = 512;
  let edns = 0;
  if (additional === 1) {
    // The OPT record: root name, type 41, payload size, extended rcode, version 0, flags, rdlength.
    if (end + 11 > len || msg[end] !== 0 || msg.readUInt16BE(end + 1) !== TYPE_OPT || msg[end + 6] !== 0) return undefined;
    if (end + 11 + msg.readUInt16BE(end + 9) !== len) return undefined;
    maxSize = Math.max(512, msg.readUInt16BE(end + 3));
    edns = 1;
  } else if (additional !== 0 || end !== len) return undefined;
  if (tcp) maxSize = 65_535;
  return { key: `${maxSize}${edns ? "e" : "-"}${msg.toString("latin1", HEADER, end)}`, qtype: msg.readUInt16BE(end - 4), rd: (flags & 0x01) !== 0, cd: (msg[3]! & 0x10) !== 0 };
}

/**
 * Encoded responses by question key, valid for one generation of the record index (its SOA
 * serial, bumped by every informer change it applies): a new generation empties the cache, so an
 * answer is never older than the index. `get` returns a fresh copy with the query's id and RD/CD
 * bits. Event-loop use only.
 */
export class ResponseCache {
  private entries = new Map<string, Buffer>();
  private generation = NaN;

  /** The cached response for `q` under `generation`, as a new buffer answering query `id`, or undefined. */
  get(q: QuestionKey, id: number, generation: number): Buffer | undefined {
    if (generation !== this.generation) {
      this.entries = new Map();
      this.generation = generation;
      return undefined;
    }
    const cached = this.entries.get(q.key);
    if (!cached) return undefined;
    const out = Buffer.allocUnsafe(cached.length);
    cached.copy(out);
    out[0] = id >>> 8;
    out[1] = id & 0xff;
    out[2] = (cached[2]! & 0xfe) | (q.rd ? 0x01 : 0);
    out[3] = (cached[3]! & 0xef) | (q.cd ? 0x10 : 0);
    return out;
  }

  /** Keeps `response` (never mutated afterwards) for `q` under `generation`. */
  set(q: QuestionKey, generation: number, response: Buffer): void {
    if (generation !== this.generation) {
      this.entries = new Map();
      this.generation = generation;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries = new Map();
    this.entries.set(q.key, response);
  }

  /** Responses held. */
  get size(): number {
    return this.entries.size;
  }
}
