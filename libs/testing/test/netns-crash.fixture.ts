// A test process for netns.test.ts that starts containerd with a running container and then dies by SIGKILL.
import { enterTestNetns } from "../src/netns.js";
import { startContainerd } from "../src/containerd.js";

await enterTestNetns(import.meta.url);
const containerd = await startContainerd();
await containerd.ctr(["run", "--detach", containerd.sandboxImage, "orphan-to-be", "sleep", "3600"]);
const tasks = await containerd.ctr(["tasks", "list"]);
const pid = /orphan-to-be\s+(\d+)\s+RUNNING/.exec(tasks)?.[1];
// The parent test reads these, then checks the outer process cleaned up after the crash.
process.stdout.write(`${JSON.stringify({ dir: containerd.dir, pid: Number(pid) })}\n`, () => process.kill(process.pid, "SIGKILL"));
