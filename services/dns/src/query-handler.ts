// Turns one DNS message into its response: parse, answer from the index or forward, encode, count.
import { answerQuestion, type AnswerSettings } from "./answer.js";
import type { Forwarder } from "./forwarder.js";
import type { DnsMetrics } from "./metrics.js";
import { canonicalName, inZone } from "./names.js";
import type { RecordIndex } from "./record-index.js";
import { Rcode, type Reply } from "./resource-record.js";
import { questionKey, ResponseCache, type QuestionKey } from "./response-cache.js";
import { MalformedQueryError, parseQuery, type DnsQuery } from "./wire-query.js";
import { MessageWriter } from "./wire-writer.js";

/** The transport a query came over: responses over UDP are limited in size, over TCP they are not. */
export type Transport = "udp" | "tcp";

/** What a QueryHandler answers from. */
export interface QueryHandlerOptions {
  index: RecordIndex;
  settings: AnswerSettings;
  forwarder: Forwarder;
  metrics: DnsMetrics;
  /** False until the informers have listed: in-zone queries get SERVFAIL rather than a wrong NXDOMAIN. */
  isSynced(): boolean;
}

const CLASSIC_UDP_SIZE = 512;
const empty = (rcode: number): Reply => ({ rcode, authoritative: false, answers: [], authority: [], additional: [] });

/**
 * Answers DNS messages. `handle` returns the response at once for names it answers from the index,
 * a promise for forwarded names, and undefined for a message to drop (not even a readable header).
 * One handler per event loop (it reuses one encode buffer); it never throws for bad input.
 */
export class QueryHandler {
  private readonly writer = new MessageWriter();
  private readonly cache = new ResponseCache();

  constructor(private readonly options: QueryHandlerOptions) {}

  handle(message: Buffer, proto: Transport): Buffer | Promise<Buffer | undefined> | undefined {
    const started = performance.now();
    const { index } = this.options;
    // The fast path: a plain query whose answer is cached for the index's current generation.
    const question = this.options.isSynced() ? questionKey(message, proto === "tcp") : undefined;
    const generation = index.serial;
    if (question) {
      const hit = this.cache.get(question, message.readUInt16BE(0), generation);
      if (hit) {
        const { queries } = this.options.metrics;
        queries.request(proto, question.qtype);
        queries.response(hit[3]! & 0x0f, question.qtype, (performance.now() - started) / 1000);
        return hit;
      }
    }
    return this.answer(message, proto, started, question, generation);
  }

  /** The full path: parse, answer from the index (kept in the cache when `question` is set) or forward. */
  private answer(message: Buffer, proto: Transport, started: number, question: QuestionKey | undefined, generation: number): Buffer | Promise<Buffer | undefined> | undefined {
    const { queries } = this.options.metrics;
    let query: DnsQuery;
    try {
      query = parseQuery(message);
    } catch (err) {
      if (!(err instanceof MalformedQueryError) || err.id === undefined) return undefined;
      queries.request(proto, -1);
      queries.response(Rcode.FORMERR, -1, undefined);
      return this.writer.encodeHeaderOnly(err.id, Rcode.FORMERR);
    }
    queries.request(proto, query.qtype);
    const done = (response: Buffer, rcode: number): Buffer => {
      queries.response(rcode, query.qtype, (performance.now() - started) / 1000);
      return response;
    };
    const reply = this.localReply(query);
    if (reply) {
      const maxSize = proto === "tcp" ? 65_535 : Math.max(CLASSIC_UDP_SIZE, query.edns?.udpPayloadSize ?? 0);
      const response = this.writer.encode(query, reply, maxSize);
      // The writer returns a fresh buffer: the cache keeps it and copies it for each hit.
      if (question && query.opcode === 0) this.cache.set(question, generation, response);
      return done(response, reply.rcode);
    }
    const { forwarder } = this.options;
    if (!forwarder.enabled) return done(this.writer.encode(query, empty(Rcode.SERVFAIL)), Rcode.SERVFAIL);
    return forwarder.forward(message).then((answer) =>
      answer ? done(answer, answer[3]! & 0x0f) : done(this.writer.encode(query, empty(Rcode.SERVFAIL)), Rcode.SERVFAIL),
    );
  }

  /** The reply from this server itself, or undefined when the query is to be forwarded. */
  private localReply(query: DnsQuery): Reply | undefined {
    if (query.opcode !== 0) return empty(Rcode.NOTIMP);
    if (query.edns && query.edns.version > 0) return empty(Rcode.BADVERS);
    const { index, settings } = this.options;
    const qname = canonicalName(query.name);
    if (!this.options.isSynced() && inZone(qname, index.zone)) return empty(Rcode.SERVFAIL);
    return answerQuestion(query.name, qname, query.qtype, query.qclass, index, settings);
  }
}
