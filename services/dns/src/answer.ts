// Answers one question from the record index: positive answers, NODATA and NXDOMAIN with the SOA.
import { inZone, isReverseName } from "./names.js";
import { podRecords } from "./pod-records.js";
import type { RecordIndex } from "./record-index.js";
import { Rcode, RRType, type Reply, type ResourceRecord } from "./resource-record.js";
import type { NameRecords } from "./service-records.js";

/** The zone-wide answer settings. */
export interface AnswerSettings {
  /** TTL of positive answers, seconds. */
  ttl: number;
  /** TTL (and SOA minimum) of NXDOMAIN and NODATA answers, seconds. */
  negativeTtl: number;
}

const CLASS_IN = 1;
const CLASS_ANY = 255;

/** The SOA of `apex`; its TTL and minimum are the negative TTL (RFC 2308). */
function soa(apex: string, index: RecordIndex, s: AnswerSettings): ResourceRecord {
  return {
    type: RRType.SOA,
    name: apex,
    ttl: s.negativeTtl,
    mname: `ns.dns.${index.zone}`,
    rname: `hostmaster.${index.zone}`,
    serial: index.serial >>> 0,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: s.negativeTtl,
  };
}

/** Appends `records`' data of type `qtype` (ANY: all) owned by `owner` to `out`. */
function appendRecords(out: ResourceRecord[], owner: string, records: NameRecords, qtype: number, ttl: number): void {
  const any = qtype === RRType.ANY;
  if (any || qtype === RRType.A) for (const address of records.a) out.push({ type: RRType.A, name: owner, ttl, address });
  if (any || qtype === RRType.AAAA) for (const address of records.aaaa) out.push({ type: RRType.AAAA, name: owner, ttl, address });
  if (any || qtype === RRType.SRV) for (const r of records.srv) out.push({ type: RRType.SRV, name: owner, ttl, ...r });
  if (any || qtype === RRType.PTR) for (const target of records.ptr) out.push({ type: RRType.PTR, name: owner, ttl, target });
}

/** A/AAAA of SRV targets the index knows, for the additional section (saves the client a lookup). */
function srvAdditional(answers: readonly ResourceRecord[], index: RecordIndex, ttl: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  let seen: Set<string> | undefined;
  for (const rr of answers) {
    if (rr.type !== RRType.SRV) continue;
    seen ??= new Set();
    if (seen.has(rr.target)) continue;
    seen.add(rr.target);
    const target = index.lookup(rr.target);
    if (target) {
      appendRecords(out, rr.target, target, RRType.A, ttl);
      appendRecords(out, rr.target, target, RRType.AAAA, ttl);
    }
  }
  return out;
}

/**
 * The reply to a question about canonical `qname` (`owner` is the name as asked, used as the
 * answers' owner), or undefined when the name is not this server's to answer: outside the zone, or
 * a reverse name no Service publishes (those are forwarded). Inside the zone: records of the asked
 * type; an ExternalName's CNAME for any type; NODATA (NOERROR, SOA in authority) for a known name
 * without that type, including empty non-terminals such as `<ns>.svc.<zone>`; NXDOMAIN with the SOA
 * otherwise. Pod names `<a-b-c-d>.<ns>.pod.<zone>` are synthesised (pod-records.ts), not indexed.
 */
export function answerQuestion(owner: string, qname: string, qtype: number, qclass: number, index: RecordIndex, s: AnswerSettings): Reply | undefined {
  const zone = index.zone;
  let apex: string;
  if (inZone(qname, zone)) apex = zone;
  else if (isReverseName(qname) && index.lookup(qname)) apex = qname.endsWith("ip6.arpa") ? "ip6.arpa" : "in-addr.arpa";
  else return undefined;
  const reply: Reply = { rcode: Rcode.NOERROR, authoritative: true, answers: [], authority: [], additional: [] };
  if (qclass !== CLASS_IN && qclass !== CLASS_ANY) {
    reply.rcode = Rcode.REFUSED;
    reply.authoritative = false;
    return reply;
  }
  const pod = podRecords(qname, zone);
  if (pod === "nodata" || pod === "nxdomain") {
    if (pod === "nxdomain") reply.rcode = Rcode.NXDOMAIN;
    reply.authority.push(soa(apex, index, s));
    return reply;
  }
  const records = pod ?? index.lookup(qname);
  if (!records) {
    if (qname === zone && (qtype === RRType.SOA || qtype === RRType.ANY)) reply.answers.push({ ...soa(zone, index, s), name: owner, ttl: s.ttl });
    else {
      if (!index.exists(qname)) reply.rcode = Rcode.NXDOMAIN;
      reply.authority.push(soa(apex, index, s));
    }
    return reply;
  }
  if (records.cname) {
    reply.answers.push({ type: RRType.CNAME, name: owner, ttl: s.ttl, target: records.cname });
    // A target in the zone is answered at once; one outside is left to the client's resolver.
    const target = qtype === RRType.CNAME ? undefined : index.lookup(records.cname);
    if (target && !target.cname) appendRecords(reply.answers, records.cname, target, qtype, s.ttl);
    return reply;
  }
  appendRecords(reply.answers, owner, records, qtype, s.ttl);
  if (reply.answers.length === 0) reply.authority.push(soa(apex, index, s));
  else if (qtype === RRType.SRV || qtype === RRType.ANY) reply.additional = srvAdditional(reply.answers, index, s.ttl);
  return reply;
}
