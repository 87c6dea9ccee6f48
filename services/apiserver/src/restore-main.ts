// The restore steps as a command (`make restore` runs them through infra/local/restore.sh; docs/operations.md the multi-machine order).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EtcdStore } from "@kubeplane/storage";
import { natsConnectionOptions } from "@kubeplane/watch";
import { connect } from "nats";
import { prepareSnapshot, resetWatchStream, restoreMembers, type EtcdMemberSpec } from "./restore.js";

const USAGE = `usage: restore-main STEP [flags]
  prepare             --snapshot FILE --out FILE [--bump-revision N (default 10000)]
                      [--min-revision N | --etcd-endpoints URLS --etcd-ca-file F --etcd-cert-file F --etcd-key-file F]
                      checks the backup, writes the snapshot every member is restored from (revision bumped past
                      the backup's by N and past the live cluster's, everything before it compacted)
  reset-watch-stream  --nats-url URL --ca-file F --nats-cert-file F --nats-key-file F   (the apiserver's NATS identity)
                      purges the watch stream; run while no apiserver runs
  restore-members     --snapshot FILE --initial-cluster-token T --member NAME=PEER_URL=DATA_DIR ...
                      restores each member's data directory (old ones moved aside); run while etcd is stopped`;

const log = (message: string): void => {
  process.stderr.write(`restore: ${message}\n`);
};

function fail(message: string): never {
  process.stderr.write(`restore: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || !v) fail(`--${name} is required`);
  return v;
}

function count(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${String(value)}"`);
  return n;
}

/** The live cluster's revision, when its etcd answers within a few seconds (else undefined: the bump alone must cover it). */
async function liveRevision(values: Record<string, unknown>): Promise<number | undefined> {
  const endpoints = values["etcd-endpoints"];
  if (typeof endpoints !== "string" || !endpoints) return undefined;
  const tls = { ca: readFileSync(required(values, "etcd-ca-file")), cert: readFileSync(required(values, "etcd-cert-file")), key: readFileSync(required(values, "etcd-key-file")) };
  const store = EtcdStore.connect({ endpoints: endpoints.split(","), tls });
  try {
    return await Promise.race([store.currentRevision(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000).unref())]);
  } catch {
    return undefined;
  } finally {
    store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [step, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      snapshot: { type: "string" },
      out: { type: "string" },
      "bump-revision": { type: "string" },
      "min-revision": { type: "string" },
      "etcd-endpoints": { type: "string" },
      "etcd-ca-file": { type: "string" },
      "etcd-cert-file": { type: "string" },
      "etcd-key-file": { type: "string" },
      "nats-url": { type: "string" },
      "ca-file": { type: "string" },
      "nats-cert-file": { type: "string" },
      "nats-key-file": { type: "string" },
      "initial-cluster-token": { type: "string" },
      member: { type: "string", multiple: true },
    },
  });
  switch (step) {
    case "prepare": {
      let minRevision = values["min-revision"] === undefined ? undefined : count(values["min-revision"], "min-revision", 0);
      if (minRevision === undefined) {
        minRevision = await liveRevision(values);
        log(minRevision === undefined ? "the live cluster's revision is unknown (etcd not reachable): the bump alone must exceed the writes since the backup" : `the live cluster is at revision ${minRevision}`);
      }
      const prepared = await prepareSnapshot({
        snapshot: required(values, "snapshot"),
        out: required(values, "out"),
        bumpRevision: count(values["bump-revision"], "bump-revision", 10_000),
        minRevision,
        log,
      });
      process.stdout.write(`${JSON.stringify(prepared)}\n`);
      return;
    }
    case "reset-watch-stream": {
      const nc = await connect(natsConnectionOptions(required(values, "nats-url"), { caFile: required(values, "ca-file"), clientCertFile: required(values, "nats-cert-file"), clientKeyFile: required(values, "nats-key-file") }, "kubeplane-restore"));
      try {
        await resetWatchStream(await nc.jetstreamManager(), log);
      } finally {
        await nc.close();
      }
      return;
    }
    case "restore-members": {
      const members: EtcdMemberSpec[] = (values.member ?? []).map((spec) => {
        const [name, peerUrl, dataDir] = spec.split("=");
        if (!name || !peerUrl || !dataDir) fail(`--member must be NAME=PEER_URL=DATA_DIR, got "${spec}"`);
        return { name, peerUrl, dataDir };
      });
      if (members.length === 0) fail("at least one --member is required");
      await restoreMembers({ snapshot: required(values, "snapshot"), members, token: required(values, "initial-cluster-token"), log });
      return;
    }
    default:
      fail(step ? `unknown step "${step}"` : "a step is required");
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
