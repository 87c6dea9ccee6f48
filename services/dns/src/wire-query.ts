// Parses a DNS query message (RFC 1035 §4.1) without building more than the question needs.

/** The EDNS(0) OPT pseudo-record of a query (RFC 6891). */
export interface Edns {
  /** The requester's UDP payload size. */
  udpPayloadSize: number;
  version: number;
  /** The DNSSEC OK bit. */
  dnssecOk: boolean;
}

/** A parsed query: the header fields a response needs and its one question. */
export interface DnsQuery {
  id: number;
  opcode: number;
  /** Recursion desired: copied into the response. */
  rd: boolean;
  /** Checking disabled: copied into the response. */
  cd: boolean;
  /** The question name as asked (case kept), without the trailing dot; "" for the root. */
  name: string;
  qtype: number;
  qclass: number;
  edns: Edns | undefined;
}

/** Thrown by `parseQuery` for a message that is not a well-formed query; `id` is set when the header was readable. */
export class MalformedQueryError extends Error {
  override readonly name = "MalformedQueryError";
  readonly code = "DNS_FORMERR";
  constructor(
    message: string,
    readonly id: number | undefined,
  ) {
    super(message);
  }
}

export const TYPE_OPT = 41;
const HEADER = 12;

/** Reads an uncompressed name at `offset`; returns it and the offset after it. */
function readName(buf: Buffer, offset: number, id: number): [string, number] {
  let name = "";
  let total = 0;
  for (;;) {
    if (offset >= buf.length) throw new MalformedQueryError("question name runs past the message", id);
    const len = buf[offset]!;
    offset++;
    if (len === 0) return [name, offset];
    if (len > 63) throw new MalformedQueryError("compressed or over-long label in the question", id);
    if (offset + len > buf.length) throw new MalformedQueryError("question label runs past the message", id);
    total += len + 1;
    if (total > 254) throw new MalformedQueryError("question name longer than 255 octets", id);
    const label = buf.toString("latin1", offset, offset + len);
    name = name === "" ? label : `${name}.${label}`;
    offset += len;
  }
}

/** Skips a possibly compressed name; returns the offset after it. */
function skipName(buf: Buffer, offset: number, id: number): number {
  for (;;) {
    if (offset >= buf.length) throw new MalformedQueryError("record name runs past the message", id);
    const len = buf[offset]!;
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2;
    if (len > 63) throw new MalformedQueryError("bad label length", id);
    offset += len + 1;
  }
}

/**
 * Parses `buf` as a query with exactly one question. Throws MalformedQueryError for a response,
 * a question count other than one, or a truncated or malformed message. Records after the
 * question are skipped except the OPT record in the additional section.
 */
export function parseQuery(buf: Buffer): DnsQuery {
  if (buf.length < HEADER) throw new MalformedQueryError("shorter than a DNS header", undefined);
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) throw new MalformedQueryError("a response, not a query", id);
  const qd = buf.readUInt16BE(4);
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1) throw new MalformedQueryError(`${qd} questions (exactly 1 is supported)`, id);
  const [name, afterName] = readName(buf, HEADER, id);
  if (afterName + 4 > buf.length) throw new MalformedQueryError("question type and class run past the message", id);
  const query: DnsQuery = {
    id,
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    name,
    qtype: buf.readUInt16BE(afterName),
    qclass: buf.readUInt16BE(afterName + 2),
    edns: undefined,
  };
  let offset = afterName + 4;
  for (let i = 0; i < records + ar; i++) {
    offset = skipName(buf, offset, id);
    if (offset + 10 > buf.length) throw new MalformedQueryError("record header runs past the message", id);
    const type = buf.readUInt16BE(offset);
    const rdlength = buf.readUInt16BE(offset + 8);
    if (offset + 10 + rdlength > buf.length) throw new MalformedQueryError("record data runs past the message", id);
    if (i >= records && type === TYPE_OPT) {
      if (query.edns) throw new MalformedQueryError("more than one OPT record", id);
      const ttl = buf.readUInt32BE(offset + 4);
      query.edns = { udpPayloadSize: buf.readUInt16BE(offset + 2), version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
    }
    offset += 10 + rdlength;
  }
  return query;
}
