// Runs `nft` (optionally inside a named network namespace) and reads back what kube-proxy's table holds.
import { spawn } from "node:child_process";
import type { ExistingObjects } from "./nft-render.js";

/** Thrown when an nft command fails; `stderr` is nft's own explanation (with the offending line). */
export class NftError extends Error {
  override readonly name = "NftError";
  readonly code = "NFT_FAILED";
  constructor(
    message: string,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runs nft commands. Calls may overlap; each is its own nft process (and so its own transaction). */
export interface NftRunner {
  /** Applies `script` as one atomic transaction (`nft -f -`); with `check`, only validates it (`nft -c`). */
  apply(script: string, opts?: { check?: boolean }): Promise<void>;
  /** The chains and maps/sets of `family table`, or undefined when the table does not exist. */
  list(family: string, table: string): Promise<ExistingObjects | undefined>;
}

function run(argv: readonly string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command!, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", (err) => reject(new NftError(`cannot run ${command}: ${err.message}`, "", { cause: err })));
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

interface NftJsonObject {
  chain?: { name: string };
  set?: { name: string };
  map?: { name: string };
}

/** An NftRunner for the namespace `netns` ("" or undefined: this process's own). */
export function nftRunner(netns?: string): NftRunner {
  const prefix = netns ? ["ip", "netns", "exec", netns, "nft"] : ["nft"];
  return {
    async apply(script, opts = {}) {
      const res = await run([...prefix, ...(opts.check ? ["-c"] : []), "-f", "-"], script);
      if (res.code !== 0) throw new NftError(`nft ${opts.check ? "check" : "transaction"} failed: ${res.stderr.trim().split("\n")[0] ?? ""}`, res.stderr);
    },
    async list(family, table) {
      const res = await run([...prefix, "-j", "list", "table", family, table], "");
      if (res.code !== 0) {
        if (/No such file or directory/.test(res.stderr)) return undefined;
        throw new NftError(`nft list table ${family} ${table} failed`, res.stderr);
      }
      const parsed = JSON.parse(res.stdout) as { nftables?: NftJsonObject[] };
      const chains = new Set<string>();
      const maps = new Map<string, "map" | "set">();
      for (const obj of parsed.nftables ?? []) {
        if (obj.chain) chains.add(obj.chain.name);
        if (obj.set) maps.set(obj.set.name, "set");
        if (obj.map) maps.set(obj.map.name, "map");
      }
      return { chains, maps };
    },
  };
}
