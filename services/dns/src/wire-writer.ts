// Encodes a response (RFC 1035 §4.1) with name compression, EDNS(0) and truncation to a size limit.
import { RRType, type Reply, type ResourceRecord } from "./resource-record.js";
import type { DnsQuery } from "./wire-query.js";

/** The UDP payload size this server advertises in its OPT record. */
export const ADVERTISED_UDP_SIZE = 1232;

const HEADER = 12;
const MAX_POINTER = 0x3fff;

function writeIpv6(buf: Buffer, offset: number, ip: string): void {
  const [head = "", tail] = ip.split("::");
  const parts = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const last = groups[7] ?? "0";
  if (last.includes(".")) {
    groups.splice(6, 2, "0", "0");
    let o = offset + 12;
    for (const octet of last.split(".")) buf[o++] = Number(octet);
  }
  for (let i = 0; i < (last.includes(".") ? 6 : 8); i++) buf.writeUInt16BE(parseInt(groups[i] ?? "0", 16), offset + i * 2);
}

/**
 * Writes one message into a reusable scratch buffer. Not re-entrant: one writer per event loop,
 * `encode` returns a copy, so the scratch is free again when it returns.
 */
export class MessageWriter {
  private readonly buf = Buffer.alloc(65_535);
  private off = 0;
  private readonly names = new Map<string, number>();

  /** Writes `name`, pointing at an earlier copy of its longest known suffix unless `compress` is false. */
  private name(name: string, compress = true): void {
    let rest = name;
    while (rest !== "") {
      const at = compress ? this.names.get(rest) : undefined;
      if (at !== undefined) {
        this.buf.writeUInt16BE(0xc000 | at, this.off);
        this.off += 2;
        return;
      }
      if (this.off <= MAX_POINTER) this.names.set(rest, this.off);
      const dot = rest.indexOf(".");
      const label = dot < 0 ? rest : rest.slice(0, dot);
      const len = this.buf.write(label, this.off + 1, "latin1");
      this.buf[this.off] = len;
      this.off += len + 1;
      rest = dot < 0 ? "" : rest.slice(dot + 1);
    }
    this.buf[this.off++] = 0;
  }

  private record(rr: ResourceRecord): void {
    this.name(rr.name);
    this.buf.writeUInt16BE(rr.type, this.off);
    this.buf.writeUInt16BE(1, this.off + 2);
    this.buf.writeUInt32BE(rr.ttl, this.off + 4);
    const lengthAt = this.off + 8;
    this.off += 10;
    const start = this.off;
    switch (rr.type) {
      case RRType.A: {
        let o = this.off;
        for (const octet of rr.address.split(".")) this.buf[o++] = Number(octet);
        this.off += 4;
        break;
      }
      case RRType.AAAA:
        writeIpv6(this.buf, this.off, rr.address);
        this.off += 16;
        break;
      case RRType.CNAME:
      case RRType.PTR:
      case RRType.NS:
        this.name(rr.target);
        break;
      case RRType.SRV:
        this.buf.writeUInt16BE(rr.priority, this.off);
        this.buf.writeUInt16BE(rr.weight, this.off + 2);
        this.buf.writeUInt16BE(rr.port, this.off + 4);
        this.off += 6;
        // RFC 2782: the target is not compressed.
        this.name(rr.target, false);
        break;
      case RRType.SOA:
        this.name(rr.mname);
        this.name(rr.rname);
        for (const n of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) {
          this.buf.writeUInt32BE(n >>> 0, this.off);
          this.off += 4;
        }
        break;
    }
    this.buf.writeUInt16BE(this.off - start, lengthAt);
  }

  private begin(query: DnsQuery, flags: number): void {
    this.off = 0;
    this.names.clear();
    this.buf.writeUInt16BE(query.id, 0);
    this.buf.writeUInt16BE(flags, 2);
    this.buf.writeUInt16BE(1, 4);
    this.buf.fill(0, 6, HEADER);
    this.off = HEADER;
    this.name(query.name);
    this.buf.writeUInt16BE(query.qtype, this.off);
    this.buf.writeUInt16BE(query.qclass, this.off + 2);
    this.off += 4;
  }

  private opt(extendedRcode: number): void {
    this.buf[this.off] = 0;
    this.buf.writeUInt16BE(RRType.OPT, this.off + 1);
    this.buf.writeUInt16BE(ADVERTISED_UDP_SIZE, this.off + 3);
    this.buf.writeUInt32BE(((extendedRcode & 0xff) << 24) >>> 0, this.off + 5);
    this.buf.writeUInt16BE(0, this.off + 9);
    this.off += 11;
  }

  /** A header-only response with `rcode`, for a query whose question could not be read. */
  encodeHeaderOnly(id: number, rcode: number): Buffer {
    const out = Buffer.alloc(HEADER);
    out.writeUInt16BE(id, 0);
    out.writeUInt16BE(0x8000 | 0x0080 | (rcode & 0xf), 2);
    return out;
  }

  /**
   * Encodes `reply` to `query`. With `maxSize`, a message that would be larger is sent as the
   * header and question only with the TC bit, so the client retries over TCP (RFC 1035 §4.2.1).
   * The OPT record is echoed when the query had one.
   */
  encode(query: DnsQuery, reply: Reply, maxSize = 65_535): Buffer {
    const flags =
      0x8000 | (query.opcode << 11) | (reply.authoritative ? 0x0400 : 0) | (query.rd ? 0x0100 : 0) | 0x0080 | (query.cd ? 0x0010 : 0) | (reply.rcode & 0xf);
    this.begin(query, flags);
    const optSize = query.edns ? 11 : 0;
    const sections = [reply.answers, reply.authority, reply.additional];
    let fits = true;
    for (const [i, section] of sections.entries()) {
      for (const rr of section) {
        // A record is at most ~530 octets; stop well before the scratch buffer would overflow.
        if (this.off > this.buf.length - 1024) break;
        this.record(rr);
      }
      if (this.off + optSize > maxSize || this.off > this.buf.length - 1024) {
        fits = false;
        break;
      }
      this.buf.writeUInt16BE(section.length, 6 + i * 2);
    }
    if (!fits) {
      this.begin(query, flags | 0x0200);
    }
    if (query.edns) {
      this.opt(reply.rcode >> 4);
      this.buf.writeUInt16BE(this.buf.readUInt16BE(10) + 1, 10);
    }
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}
