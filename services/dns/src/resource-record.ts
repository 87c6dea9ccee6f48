// Resource records as the answer builder produces them and the wire writer encodes them.

/** RR type codes this server answers or recognises (RFC 1035, 3596, 2782, 6891). */
export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;

/** Response codes (RFC 1035 §4.1.1, RFC 6891 for BADVERS). */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

const typeNames = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));
const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** A type's mnemonic for metrics: "A", "SRV", …, "other" for types this server does not know. */
export const typeName = (type: number): string => typeNames.get(type) ?? "other";

/** An rcode's mnemonic for metrics. */
export const rcodeName = (rcode: number): string => rcodeNames.get(rcode) ?? String(rcode);

interface RrBase {
  /** Owner name without the trailing dot. */
  name: string;
  ttl: number;
}
export interface AddressRr extends RrBase {
  type: typeof RRType.A | typeof RRType.AAAA;
  address: string;
}
export interface NameRr extends RrBase {
  type: typeof RRType.CNAME | typeof RRType.PTR | typeof RRType.NS;
  target: string;
}
export interface SrvRr extends RrBase {
  type: typeof RRType.SRV;
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface SoaRr extends RrBase {
  type: typeof RRType.SOA;
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
/** One resource record. */
export type ResourceRecord = AddressRr | NameRr | SrvRr | SoaRr;

/** What the server answers to one question, before encoding. */
export interface Reply {
  rcode: number;
  /** Authoritative answer: set for names in the zones this server serves. */
  authoritative: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}
