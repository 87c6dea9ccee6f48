// Forwards queries for names outside the zone to upstream resolvers over UDP (TCP when truncated).
import { createSocket, type Socket } from "node:dgram";
import { connect } from "node:net";
import type { Logger } from "@kubeplane/service-kit";
import type { DnsMetrics } from "./metrics.js";
import { rcodeName } from "./resource-record.js";

interface Upstream {
  host: string;
  port: number;
  /** "ip:port" for logs and metrics. */
  label: string;
}

interface Pending {
  upstream: Upstream;
  resolve(answer: Buffer | undefined): void;
  timer: NodeJS.Timeout;
}

/** Parses "1.2.3.4:53" or "[fd00::1]:53" (already validated by the config). */
function parseUpstream(text: string): Upstream {
  const i = text.lastIndexOf(":");
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(text.slice(i + 1)), label: text };
}

/**
 * Relays queries to upstreams in order: each gets `timeoutMs` to answer before the next is tried.
 * Upstream answers are matched by a fresh message ID per attempt on one UDP socket per address
 * family, and returned with the client's ID. An answer with TC set is fetched again over TCP.
 * Safe to call concurrently; `close` fails what is pending.
 */
export class Forwarder {
  private readonly upstreams: Upstream[];
  private readonly sockets = new Map<string, Socket>();
  private readonly pending = new Map<number, Pending>();
  private nextId = Math.floor(Math.random() * 0x10000);
  private closed = false;

  constructor(
    upstreams: readonly string[],
    private readonly timeoutMs: number,
    private readonly metrics: DnsMetrics,
    private readonly logger: Logger,
  ) {
    this.upstreams = upstreams.map(parseUpstream);
  }

  /** Whether any upstream is configured. */
  get enabled(): boolean {
    return this.upstreams.length > 0;
  }

  /** The first upstream answer to `query` (with `query`'s ID), or undefined when none answered in time. */
  async forward(query: Buffer): Promise<Buffer | undefined> {
    const clientId = query.readUInt16BE(0);
    for (const upstream of this.upstreams) {
      if (this.closed) return undefined;
      this.metrics.forwardRequests.inc({ to: upstream.label });
      let answer = await this.overUdp(upstream, query);
      if (answer && answer[2]! & 0x02) answer = (await this.overTcp(upstream, query)) ?? answer;
      if (!answer) continue;
      answer.writeUInt16BE(clientId, 0);
      this.metrics.forwardResponses.inc({ to: upstream.label, rcode: rcodeName(answer[3]! & 0x0f) });
      return answer;
    }
    return undefined;
  }

  private socketFor(upstream: Upstream): Socket {
    const family = upstream.host.includes(":") ? "udp6" : "udp4";
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on("message", (msg, rinfo) => this.onAnswer(msg, rinfo.address, rinfo.port));
      socket.on("error", (err) => this.logger.warn({ err }, "upstream socket error"));
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private onAnswer(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    // Only the upstream asked may answer (a spoofed answer from elsewhere is ignored).
    if (!p || p.upstream.host !== address || p.upstream.port !== port) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(msg);
  }

  private overUdp(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    this.nextId = (id + 1) & 0xffff;
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.logger.warn({ upstream: upstream.label }, "upstream did not answer in time");
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { upstream, resolve, timer });
      this.socketFor(upstream).send(out, upstream.port, upstream.host, (err) => {
        if (!err) return;
        this.logger.warn({ err, upstream: upstream.label }, "sending to upstream failed");
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  private overTcp(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      let data = Buffer.alloc(0);
      const done = (answer: Buffer | undefined): void => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(this.timeoutMs, () => done(undefined));
      socket.on("error", () => done(undefined));
      socket.on("connect", () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(query.length);
        socket.write(Buffer.concat([length, query]));
      });
      socket.on("data", (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) done(data.subarray(2, 2 + data.readUInt16BE(0)));
      });
      socket.on("end", () => done(undefined));
    });
  }

  /** Closes the sockets; pending forwards resolve undefined. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }
}
