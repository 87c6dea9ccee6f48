// Summarises a `node --cpu-prof` profile per operation window (the phases.json the write-cost bench writes with
// KP_BENCH_CPU_PROF=dir): self and total time by function and self time by file or package, as ms per operation.
// Usage: node --import tsx services/apiserver/bench/cpu-profile-summary.ts <dir> [top=20] [callers-of-regexp]
// (with a regexp: the call stacks, three frames up, of the functions whose label matches, by self time)
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}
interface Phase {
  operation: string;
  startUs: number;
  endUs: number;
  ops: number;
}

/** A file's short name: the package for node_modules, the path below the repository for our own code. */
function fileOf(url: string): string {
  if (!url) return "(native/vm)";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return `npm:${rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const repo = url.search(/\/(services|libs)\//);
  return repo >= 0 ? url.slice(repo + 1) : url.replace(/^file:\/\//, "");
}

/** A coarse area of a file: where the CPU of a write goes. */
function areaOf(file: string, fn: string): string {
  if (fn === "(garbage collector)") return "GC";
  if (/^npm:@grpc|^node:(_tls|internal\/http2|internal\/streams|net|internal\/stream_base|events|_http)/.test(file)) return "gRPC, HTTP/2, TLS";
  if (file === "npm:nats") return "NATS client";
  if (file === "npm:@bufbuild/protobuf" || file.includes("/gen/") || file === "npm:long") return "protobuf";
  if (file.startsWith("npm:@opentelemetry")) return "OpenTelemetry";
  if (file === "npm:prom-client") return "prom-client";
  if (file.startsWith("npm:etcd3") || file.startsWith("npm:cockatiel")) return "etcd client";
  if (file.startsWith("services/apiserver/src/fieldmanager/")) return "apiserver: field manager";
  if (file.startsWith("services/apiserver/")) return "apiserver: other";
  if (file.startsWith("libs/")) return `libs/${file.split("/")[1]}`;
  return "node/V8 other";
}

function top(map: Map<string, number>, n: number, perOp: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `  ${(us / 1000 / perOp).toFixed(3).padStart(7)} ms/op  ${k}`);
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const n = Number(process.argv[3] ?? 20);
  const callersOf = process.argv[4] ? new RegExp(process.argv[4]) : undefined;
  if (!dir) throw new Error("usage: cpu-profile-summary.ts <dir> [top]");
  const phases = JSON.parse(await readFile(join(dir, "phases.json"), "utf8")) as Phase[];
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  // The apiserver's profile is the largest (tsx's loader threads write small ones).
  const sized = await Promise.all(files.map(async (f) => ({ f, text: await readFile(join(dir, f), "utf8") })));
  sized.sort((a, b) => b.text.length - a.text.length);
  const profile = JSON.parse(sized[0]!.text) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const label = (node: ProfileNode): string =>
    `${node.callFrame.functionName || "(anonymous)"} ${fileOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  for (const phase of phases) {
    const selfFn = new Map<string, number>();
    const totalFn = new Map<string, number>();
    const selfFile = new Map<string, number>();
    const callers = new Map<string, number>();
    const byArea = new Map<string, number>();
    let t = profile.startTime;
    let busy = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i]!;
      if (t < phase.startUs || t > phase.endUs) continue;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      const node = byId.get(profile.samples[i]!)!;
      if (node.callFrame.functionName === "(idle)") continue;
      busy += dt;
      const l = label(node);
      selfFn.set(l, (selfFn.get(l) ?? 0) + dt);
      const f = fileOf(node.callFrame.url);
      selfFile.set(f, (selfFile.get(f) ?? 0) + dt);
      const area = areaOf(f, node.callFrame.functionName);
      byArea.set(area, (byArea.get(area) ?? 0) + dt);
      if (callersOf?.test(l)) {
        const stack: string[] = [];
        for (let id = parent.get(node.id), k = 0; id !== undefined && k < 3; id = parent.get(id), k++) stack.push(label(byId.get(id)!));
        const key = `${l} <- ${stack.join(" <- ")}`;
        callers.set(key, (callers.get(key) ?? 0) + dt);
      }
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const k = label(byId.get(id)!);
        if (seen.has(k)) continue;
        seen.add(k);
        totalFn.set(k, (totalFn.get(k) ?? 0) + dt);
      }
    }
    const ops = phase.ops;
    process.stdout.write(
      [
        `== ${phase.operation}: ${ops} ops, ${(busy / 1000 / ops).toFixed(3)} ms/op sampled busy (main thread)`,
        "self by area:",
        ...top(byArea, n, ops),
        "self by file/package:",
        ...top(selfFile, n, ops),
        "self by function:",
        ...top(selfFn, n, ops),
        "total by function:",
        ...top(totalFn, n * 2, ops),
        ...(callersOf ? ["callers:", ...top(callers, n, ops)] : []),
        "",
      ].join("\n") + "\n",
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
