// Helpers of the dns integration tests: real `dig` against the server, and a tiny upstream resolver on loopback.
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import dnsPacket from "dns-packet";

const run = promisify(execFile);

/** What `dig` printed: the status, and the answer and authority records as whitespace-split fields. */
export interface DigResult {
  status: string;
  flags: string[];
  answers: string[][];
  authority: string[][];
  additional: string[][];
}

/** Runs `dig @127.0.0.1 -p port name type` (over TCP with `tcp`) and parses its sections. */
export async function dig(port: number, name: string, type: string, opts: { tcp?: boolean; reverse?: boolean; extra?: string[] } = {}): Promise<DigResult> {
  const args = ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=3", "+noall", "+comments", "+answer", "+authority", "+additional"];
  if (opts.tcp) args.push("+tcp");
  args.push(...(opts.extra ?? []));
  args.push(...(opts.reverse ? ["-x", name] : [name, type]));
  const { stdout } = await run("dig", args, { timeout: 10_000 });
  const status = /status: (\w+)/.exec(stdout)?.[1];
  if (!status) throw new Error(`dig printed no status:\n${stdout}`);
  const result: DigResult = { status, flags: (/flags: ([\w ]+);/.exec(stdout)?.[1] ?? "").split(" "), answers: [], authority: [], additional: [] };
  let section: string[][] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(";; ANSWER SECTION")) section = result.answers;
    else if (line.startsWith(";; AUTHORITY SECTION")) section = result.authority;
    else if (line.startsWith(";; ADDITIONAL SECTION")) section = result.additional;
    else if (line.startsWith(";") || line.trim() === "") continue;
    else section?.push(line.trim().split(/\s+/));
  }
  return result;
}

/** A record's data fields (after name, TTL, class and type). */
export const rdata = (rows: string[][], type: string): string[] => rows.filter((r) => r[3] === type).map((r) => r.slice(4).join(" "));

/** A UDP resolver on 127.0.0.1 answering `name` A `address` and REFUSED to everything else; counts what it got. */
export async function startUpstream(name: string, address: string): Promise<{ port: number; queries: () => number; close(): Promise<void> }> {
  const socket = createSocket("udp4");
  let queries = 0;
  socket.on("message", (msg, rinfo) => {
    queries++;
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    const known = question?.name.toLowerCase() === name && question.type === "A";
    const answer = dnsPacket.encode({
      type: "response",
      id: q.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 5),
      questions: q.questions,
      answers: known ? [{ type: "A", name: question.name, ttl: 60, data: address }] : [],
    });
    socket.send(answer, rinfo.port, rinfo.address);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    port: socket.address().port,
    queries: () => queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
