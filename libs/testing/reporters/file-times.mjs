// A node:test reporter that prints, after the run, how long each test file took (wall clock, from its first to its last event), slowest first.

/** How many files the summary lists. */
const LISTED = 25;

/**
 * Use beside the usual reporter: `--test-reporter=tap --test-reporter-destination=stdout
 * --test-reporter=./libs/testing/reporters/file-times.mjs --test-reporter-destination=stderr`.
 * A file's span runs from its process's start to its last test's end, hooks included (a cluster
 * started in `before`), so with `--test-concurrency=1` the spans add up to the run. Plain JavaScript: reporters are loaded before `--import` hooks apply.
 *
 * @param {AsyncIterable<{ type: string, data: { file?: string, nesting: number } }>} source
 */
export default async function* fileTimes(source) {
  /** @type {Map<string, { first: number, last: number, failed: number }>} */
  const files = new Map();
  const started = Date.now();
  for await (const event of source) {
    const file = event.data.file;
    // Every file is enqueued at the start; its process starts at its first dequeue.
    if (!file || event.type === "test:enqueue") continue;
    const now = Date.now();
    let span = files.get(file);
    if (!span) files.set(file, (span = { first: now, last: now, failed: 0 }));
    span.last = now;
    if (event.type === "test:fail" && event.data.nesting === 0) span.failed++;
  }
  const total = (Date.now() - started) / 1000;
  const rows = [...files.entries()].map(([file, s]) => ({ file: file.replace(`${process.cwd()}/`, ""), seconds: (s.last - s.first) / 1000, ...s }));
  rows.sort((a, b) => b.seconds - a.seconds);
  const inFiles = rows.reduce((sum, r) => sum + r.seconds, 0);
  yield `\n# ${rows.length} test files in ${total.toFixed(0)} s (${inFiles.toFixed(0)} s inside files); the ${Math.min(LISTED, rows.length)} slowest:\n`;
  for (const r of rows.slice(0, LISTED)) yield `#   ${r.seconds.toFixed(1).padStart(6)} s  ${r.file}${r.failed ? `  (${r.failed} failed)` : ""}\n`;
}
