// Measures WatchPublisher throughput (run by hand): N changes written while no publisher runs, then a timed catch-up.
import { waitFor } from "@kubeplane/testing";
import { WatchPublisher } from "../src/index.js";
import { putConfigMap, readStream, runPublisher, startHarness } from "./fixtures/harness.js";
const N = Number(process.env.N ?? 5000);
const h = await startHarness();
try {
  for (let round = 0; round < 2; round++) {
    await h.resetStream();
    const first = await runPublisher(h);
    const r0 = await putConfigMap(h.client, "bench", "seed");
    await waitFor(() => first.publisher.lastPublishedRevision === r0);
    await first.stop();
    let last = 0;
    for (let i = 0; i < N; i += 100) {
      const revs = await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, j) => putConfigMap(h.client, "bench", `cm-${round}-${i + j}`)));
      last = Math.max(last, ...revs);
    }
    const controller = new AbortController();
    const publisher = new WatchPublisher({ js: h.js, jsm: h.jsm, source: h.source });
    const t0 = performance.now();
    const done = publisher.run(controller.signal);
    await waitFor(() => publisher.lastPublishedRevision === last, { timeoutMs: 120_000, intervalMs: 5 });
    const secs = (performance.now() - t0) / 1000;
    controller.abort();
    await done;
    const events = await readStream(h.jsm);
    console.log(`round ${round}: ${N} changes in ${secs.toFixed(2)} s = ${Math.round(N / secs)} events/s; stream ${events.length} msgs`);
  }
} finally {
  await h.stop();
}
