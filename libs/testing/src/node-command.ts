// How tests run a service's entry file: from its source through tsx, or from the built JavaScript when make built it for this run.
import { existsSync } from "node:fs";

/**
 * Whether service processes run from `dist/` (set by `make test` and `make test-integration`,
 * which compile every package first): a process then starts in ~0.7 s with ~0.85 s of CPU instead
 * of ~1.2 s and ~1.8 s through tsx, which a suite starting hundreds of them pays on 2 cores. Unset
 * (a test run by hand after editing a source), every process runs from source: dist/ may lag.
 */
export function fromDist(): boolean {
  return process.env.KP_TEST_FROM_DIST === "1";
}

/** `services/NAME/src/main.ts`'s built counterpart (`services/NAME/dist/src/main.js`), if `entry` is a service's entry. */
function distEntry(entry: string): string | undefined {
  const m = /^(.*[\\/]services[\\/][^\\/]+[\\/])src[\\/]([^\\/]+)\.ts$/.exec(entry);
  return m ? `${m[1]}dist/src/${m[2]}.js` : undefined;
}

/**
 * The node arguments that run `entry` (a service's `src/*.ts`): its built `.js` when `fromDist()`
 * and it exists, else the source with `--conditions=source --import tsx`.
 */
export function nodeEntryArgs(entry: string): string[] {
  const built = fromDist() ? distEntry(entry) : undefined;
  if (built !== undefined && existsSync(built)) return [built];
  return ["--conditions=source", "--import", "tsx", entry];
}
