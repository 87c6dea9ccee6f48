// Network partitions for tests: nftables rules in a test's own network namespace silently drop the TCP traffic of chosen ports.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { insideTestNetns, NetnsError } from "./netns.js";
import type { TestCgroup } from "./test-cgroup.js";

/** One cut made by `Partitioner.cut`; `heal` lifts it (other cuts of the same ports stay). */
export interface Cut {
  readonly ports: readonly number[];
  /** Removes this cut's drops; idempotent. */
  heal(): Promise<void>;
}

/**
 * Drops, without any reply (no RST, no ICMP), every TCP segment to or from the chosen local ports,
 * as a broken path between machines does: established connections go silent, new ones time out in
 * SYN-SENT. The rule sits on the input hook, so a sender's write succeeds and nothing is refused.
 *
 * Test processes all listen on 127.0.0.1, so a link is named by its server's port: to cut one
 * party off a server others keep using, give that party a server of its own (a second apiserver on
 * the same etcd, an etcd member's client port). Not safe for concurrent use from several tests;
 * one per test file.
 */
export interface Partitioner {
  /** The nftables table (family inet) holding the drops. */
  readonly table: string;
  /** Starts dropping the traffic of `ports` (a server's listening ports, e.g. an etcd member's client and peer port). */
  cut(ports: readonly number[]): Promise<Cut>;
  /**
   * Cuts every process in `group` off from everything else: all TCP and UDP it sends or receives,
   * on connections it opened and on its listening ports alike, is dropped on arrival (silently
   * for both ends). Start the process through `group.wrap` so its sockets belong to the group.
   * A socket is tied to the group it was created in, so this separates, say, one etcd member's
   * peer connections from the others' although all use 127.0.0.1.
   */
  isolate(group: TestCgroup): Promise<Cut>;
  /** The ports being dropped now, as nft reports them (for assertions and diagnostics). */
  droppedPorts(): Promise<number[]>;
  /** Heals every cut and isolation and deletes the tables; idempotent. */
  close(): Promise<void>;
}

/**
 * Creates an nftables table in the network namespace `netns` (one `createNetns` made) or, without
 * it, in the test namespace this process runs in (`enterTestNetns`). It refuses to run in the
 * host's namespace: a test never changes the host's tables. Needs root and nft.
 */
export async function startPartitioner(opts: { netns?: string } = {}): Promise<Partitioner> {
  if (opts.netns === undefined && !insideTestNetns()) {
    throw new NetnsError("startPartitioner outside a test network namespace: call enterTestNetns first (the host's tables are never changed)");
  }
  const table = `kp_partition_${randomBytes(3).toString("hex")}`;
  const nft = async (script: string): Promise<string> => {
    const argv = opts.netns === undefined ? ["nft", "-f", "-"] : ["nsenter", `--net=/run/netns/${opts.netns}`, "--", "nft", "-f", "-"];
    return runWithInput(argv, script);
  };
  // A set of ports, two rules: the dropped traffic changes by adding and deleting set elements.
  await nft(
    [
      `table inet ${table} {`,
      "  set ports {",
      "    type inet_service",
      "  }",
      "  chain input {",
      "    type filter hook input priority -150; policy accept;",
      "    tcp dport @ports drop",
      "    tcp sport @ports drop",
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  const refs = new Map<number, number>();
  const isolations = new Set<string>();
  let closed = false;
  const elements = (ports: readonly number[]): string => `{ ${ports.join(", ")} }`;
  return {
    table,
    async cut(ports) {
      if (closed) throw new NetnsError(`partitioner ${table} is closed`);
      if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65_535)) throw new RangeError(`bad ports ${ports.join(",")}`);
      const fresh = [...new Set(ports)].filter((p) => (refs.get(p) ?? 0) === 0);
      for (const p of new Set(ports)) refs.set(p, (refs.get(p) ?? 0) + 1);
      if (fresh.length > 0) await nft(`add element inet ${table} ports ${elements(fresh)}\n`);
      let healed = false;
      return {
        ports: [...ports],
        async heal() {
          if (healed || closed) return;
          healed = true;
          const gone: number[] = [];
          for (const p of new Set(ports)) {
            const left = (refs.get(p) ?? 1) - 1;
            refs.set(p, left);
            if (left === 0) gone.push(p);
          }
          if (gone.length > 0) await nft(`delete element inet ${table} ports ${elements(gone)}\n`);
        },
      };
    },
    async isolate(group) {
      if (closed) throw new NetnsError(`partitioner ${table} is closed`);
      // Packets its sockets send mark their connection (conntrack), and a marked connection's packets
      // are dropped where they arrive: what it sends never lands, replies to it are dropped too. A
      // packet to one of its sockets is dropped even before the connection carries a mark.
      const mark = `0x${randomBytes(4).toString("hex")}`;
      const own = `${table}_iso_${randomBytes(3).toString("hex")}`;
      const match = `socket cgroupv2 level ${group.level} "${group.nftPath}"`;
      await nft(
        [
          `table inet ${own} {`,
          "  chain output {",
          "    type filter hook output priority -150; policy accept;",
          `    ${match} ct mark set ${mark}`,
          "  }",
          "  chain input {",
          "    type filter hook input priority -150; policy accept;",
          `    ct mark ${mark} drop`,
          `    ${match} drop`,
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      isolations.add(own);
      return {
        ports: [],
        async heal() {
          if (!isolations.delete(own)) return;
          await nft(`delete table inet ${own}\n`);
        },
      };
    },
    async droppedPorts() {
      const out = await nft(`list set inet ${table} ports\n`);
      const match = /elements = \{([^}]*)\}/.exec(out);
      return match ? match[1]!.split(",").map((p) => Number(p.trim())).filter(Number.isInteger).sort((a, b) => a - b) : [];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const own of isolations) await nft(`delete table inet ${own}\n`);
      isolations.clear();
      await nft(`delete table inet ${table}\n`);
    },
  };
}

function runWithInput(argv: readonly string[], input: string): Promise<string> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(command!, args, (error, stdout, stderr) => {
      if (error) reject(new NetnsError(`${argv.join(" ")} failed: ${stderr.trim() || error.message}\n${input}`, { cause: error }));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}
