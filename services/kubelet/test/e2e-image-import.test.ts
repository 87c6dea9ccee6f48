// Offline images end to end, inside a network namespace of the test's own: an image exported from the
// registry under a new name (docker-archive) is imported through the apiserver and the kubelet
// (`kpctl image import`), listed (`kpctl image ls`) and runs a pod that no registry could serve; an
// archive in the kubelet's airgap directory is imported when the kubelet starts.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, enterTestNetns, runKpctl, startControlPlane, startNodeStack, waitFor, type ControlPlane, type NodeStack } from "@kubeplane/testing";

await enterTestNetns(import.meta.url);

const execFileAsync = promisify(execFile);
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const NODE = "node-img";

describe("offline images: kpctl image import and the airgap directory", () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let client: ApiClient;
  let dir = "";
  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args, { timeoutMs: 120_000 });
  /** Exports the registry's busybox as a docker-archive tar whose image is named `name`. */
  const exportImage = async (file: string, name: string): Promise<void> => {
    await execFileAsync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${node!.registry.host}/library/busybox:1.36`, `docker-archive:${file}:${name}`]);
  };
  const runsPod = async (name: string, image: string): Promise<void> => {
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      metadata: { name, namespace: "default" },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] },
    }));
    let last: coreV1Pod.Pod | undefined;
    await waitFor(async () => {
      last = (await client.get(pods, "default", name)) as coreV1Pod.Pod;
      return last.status?.phase === "Running";
    }, { timeoutMs: 60_000, message: `${name} Running` }).catch((err: Error) => {
      throw new Error(`${err.message}; pod status: ${JSON.stringify(coreV1Pod.PodStatus.toJSON(last?.status ?? coreV1Pod.PodStatus.fromPartial({})))}`);
    });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-image-import-"));
    await mkdir(join(dir, "airgap"));
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.30.0/24", kubeletFlags: { "sync-frequency": "2s", "image-import-dir": join(dir, "airgap") } });
    await waitFor(async () => (await kpctl("get", "node", NODE)).code === 0, { timeoutMs: 30_000, message: "node registered" });
  });

  after(async () => {
    client?.close();
    await node?.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("an image exported from the registry and imported under a new name runs a pod offline", async () => {
    // tools.offline.invalid resolves nowhere: the pod can only run if the node already has the image.
    const image = "tools.offline.invalid/busybox:offline";
    const archive = join(dir, "busybox.tar");
    await exportImage(archive, image);
    const imported = await kpctl("image", "import", archive, "--node", NODE);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(`^${NODE}: imported ${image.replace(/[.]/g, "\\.")}$`, "m"));
    const listed = await kpctl("image", "ls", "--node", NODE);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NODE\s+IMAGE\s+IMAGE ID\s+SIZE$/m);
    assert.ok(listed.stdout.split("\n").some((l) => l.startsWith(NODE) && l.includes(image)), listed.stdout);
    await runsPod("offline", image);
    const out = await kpctl("exec", "offline", "--", "echo", "from-imported-image");
    assert.equal(out.stdout.trim(), "from-imported-image");
  });

  it("a broken archive is refused with the runtime's reason", async () => {
    const bad = join(dir, "bad.tar");
    await execFileAsync("sh", ["-c", `echo not-a-tar > ${bad}`]);
    const refused = await kpctl("image", "import", bad, "--node", NODE);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`error: ${NODE}: .*importing`));
  });

  it("archives in the airgap directory are imported when the kubelet starts", async () => {
    const image = "tools.offline.invalid/busybox:airgap";
    const tmp = join(dir, "airgap.tmp");
    await exportImage(tmp, image);
    await rename(tmp, join(dir, "airgap", "busybox-airgap.tar"));
    await node!.restartKubelet();
    await waitFor(async () => (await kpctl("image", "ls", "--node", NODE)).stdout.includes(image), { timeoutMs: 60_000, message: "the airgap image listed" });
    await runsPod("airgap", image);
  });
});
