// The containerd test harness: pods survive a containerd restart, and stop() leaves nothing behind even after a crash.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enterTestNetns, startContainerd, waitFor, type Containerd } from "@kubeplane/testing";
import { connectCri, type CriConnection } from "../src/cri/client.js";
import { writeCniConfig } from "../src/cni/cni-config.js";
import type { PodSandboxConfig } from "../src/runtime/types.js";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);

/** Pids of the processes whose network namespace is the one bind-mounted at `netnsFile`. */
async function processesInNetns(netnsInode: number): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const link = await readlink(`/proc/${pid}/ns/net`).catch(() => "");
    if (link === `net:[${netnsInode}]`) pids.push(Number(pid));
  }
  return pids;
}

describe("containerd harness", () => {
  let containerd: Containerd | undefined;
  let cri: CriConnection | undefined;
  let stateDir = "";
  let sandboxId = "";
  let containerId = "";

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "kp-cri-harness-"));
    const ctrd = (containerd = await startContainerd());
    await writeCniConfig(ctrd.cniConfDir, { podCidr: "10.88.8.0/24", ipamDataDir: join(stateDir, "ipam") });
    const runtime = (cri = connectCri(ctrd.endpoint, { timeoutMs: 30_000 })).runtime;
    await waitFor(async () => (await runtime.status()).find((c) => c.type === "NetworkReady")?.status, { message: "NetworkReady" });
    const sandbox: PodSandboxConfig = {
      metadata: { name: "sleeper", namespace: "default", uid: "uid-sleeper", attempt: 0 },
      hostname: "sleeper",
      logDirectory: join(stateDir, "logs"),
      portMappings: [],
      labels: {},
      annotations: {},
    };
    sandboxId = await runtime.runPodSandbox(sandbox);
    // The pause image is busybox too, so no registry is needed for a container.
    containerId = await runtime.createContainer(
      sandboxId,
      {
        metadata: { name: "sleep", attempt: 0 },
        image: ctrd.sandboxImage,
        command: ["sleep", "3600"],
        args: [],
        workingDir: "",
        envs: [],
        mounts: [],
        logPath: "sleep/0.log",
        labels: {},
        annotations: {},
        stdin: false,
        tty: false,
      },
      sandbox,
    );
    await runtime.startContainer(containerId);
  });

  after(async () => {
    cri?.close();
    await containerd?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("keeps running containers across a containerd restart", async () => {
    const before = await cri!.runtime.containerStatus(containerId);
    assert.equal(before.state, "running");
    await containerd!.restart();
    const afterRestart = await cri!.runtime.containerStatus(containerId);
    assert.equal(afterRestart.state, "running");
    assert.equal(afterRestart.startedAt, before.startedAt, "the same process, not a restarted one");
    const exec = await cri!.runtime.execSync(containerId, ["sh", "-c", "echo still-here"], 10);
    assert.equal(exec.stdout.toString(), "still-here\n");
  });

  it("stop() after a containerd crash kills the pod's processes and shims and removes runc state, mounts and dirs", async () => {
    const ctrd = containerd!;
    const [netnsFile] = await readdir(ctrd.sandboxNetnsDir);
    assert.ok(netnsFile, "the sandbox has a netns");
    const netnsInode = (await stat(join(ctrd.sandboxNetnsDir, netnsFile))).ino;
    const podProcesses = await processesInNetns(netnsInode);
    assert.ok(podProcesses.length >= 2, `pause and sleep run in the pod's netns (found ${podProcesses.length})`);

    await ctrd.kill("SIGKILL");
    assert.ok((await processesInNetns(netnsInode)).length >= 2, "a containerd crash leaves pods running, like on a node");
    await ctrd.stop();

    assert.deepEqual(await processesInNetns(netnsInode), []);
    assert.equal(existsSync(join("/run/containerd/runc/k8s.io", containerId)), false, "runc state removed");
    assert.equal(existsSync(join("/run/containerd/runc/k8s.io", sandboxId)), false, "runc state removed");
    assert.equal(existsSync(ctrd.dir), false, "the temp dir is removed");
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    assert.equal(mountinfo.includes(ctrd.dir), false, "nothing stays mounted under the temp dir");
    const shims = (await execFileAsync("ps", ["-eo", "args"])).stdout.split("\n").filter((line) => line.includes(ctrd.socket));
    assert.deepEqual(shims, [], "no shim of this containerd is left");
    const { stdout: links } = await execFileAsync("ip", ["-o", "link", "show"]);
    assert.doesNotMatch(links, /veth/, "the pod's veth went with its netns");
  });
});
