// Command line of infra/deploy/run-units.sh: runs an installed machine's units in the foreground until SIGTERM or SIGINT.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MachineSpec } from "./bundle.js";
import { readServiceUnit } from "./unit-file.js";
import { UnitRunner } from "./unit-runner.js";

const USAGE = `usage: infra/deploy/run-units.sh MACHINE_JSON [--only UNIT,UNIT]
Runs the units the installed machine.json lists (in order) as systemd would, without systemd:
logs in its logDir/UNIT.log, status in its stateDir/unit-runner.json. SIGTERM stops them in reverse order.`;

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: "string" }, help: { type: "boolean", short: "h" } } });
const log = (event: Record<string, unknown>): void => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), component: "unit-runner", ...event })}\n`);
};
if (args.help || positionals.length !== 1) {
  (args.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
  if (!args.help) process.exitCode = 2;
} else {
  const machine = JSON.parse(await readFile(positionals[0] as string, "utf8")) as MachineSpec;
  const only = args.only ? new Set(args.only.split(",")) : undefined;
  const units = await Promise.all(machine.units.filter((u) => !only || only.has(u)).map((u) => readServiceUnit(machine.unitDir, u)));
  const runner = new UnitRunner({ logDir: machine.logDir, statusFile: join(machine.stateDir, "unit-runner.json"), log });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    log({ msg: "stopping", machine: machine.name });
    runner.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log({ msg: "stop failed", error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await runner.start(units);
  log({ msg: "units started", machine: machine.name, units: units.map((u) => u.name) });
}
