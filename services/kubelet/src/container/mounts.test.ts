// Tests of a container's mounts: readOnly, subPath creation inside the volume, and the managed /etc/hosts.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { containerMounts } from "./volumes.js";
import { container } from "./test-support.js";

const mount = (name: string, mountPath: string, extra: object = {}) => ({ name, mountPath, readOnly: false, subPath: "", subPathExpr: "", ...extra });

test("volumeMounts map to host paths, subPaths are created inside the volume, /etc/hosts is added", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubelet-mounts-"));
  try {
    const data = join(dir, "data");
    await mkdir(data, { mode: 0o750 });
    const c = container("app", {
      volumeMounts: [
        mount("data", "/data", { readOnly: true }),
        mount("data", "/logs", { subPath: "logs/app" }),
        mount("data", "/per-pod", { subPathExpr: "pods/$(POD_NAME)" }),
      ],
    });
    const volumes = new Map([["data", data]]);
    const mounts = containerMounts(c, volumes, join(dir, "etc-hosts"), { env: [{ key: "POD_NAME", value: "web-0" }] });
    assert.deepEqual(mounts, [
      { containerPath: "/data", hostPath: data, readonly: true },
      { containerPath: "/logs", hostPath: join(data, "logs/app"), readonly: false },
      { containerPath: "/per-pod", hostPath: join(data, "pods/web-0"), readonly: false },
      { containerPath: "/etc/hosts", hostPath: join(dir, "etc-hosts"), readonly: false },
    ]);
    assert.ok((await stat(join(data, "logs/app"))).isDirectory());
    assert.ok((await stat(join(data, "pods/web-0"))).isDirectory());

    assert.equal(containerMounts(c, volumes, join(dir, "etc-hosts"), { hostNetwork: true, env: [{ key: "POD_NAME", value: "web-0" }] }).length, 3);
    assert.equal(containerMounts(container("app", { volumeMounts: [mount("data", "/etc/hosts")] }), volumes, join(dir, "etc-hosts")).length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an unknown volume or a subPath escaping the volume is a CreateContainerConfigError", () => {
  const volumes = new Map([["data", "/tmp/never-created-by-this-test"]]);
  assert.throws(() => containerMounts(container("app", { volumeMounts: [mount("nope", "/x")] }), volumes), {
    name: "CreateContainerConfigError",
    message: 'cannot find volume "nope" to mount into container "app"',
  });
  assert.throws(() => containerMounts(container("app", { volumeMounts: [mount("data", "/x", { subPath: "../../etc" })] }), volumes), {
    name: "CreateContainerConfigError",
  });
  assert.throws(() => containerMounts(container("app", { volumeMounts: [mount("data", "/x", { subPathExpr: "$(NOPE)/x" })] }), volumes), {
    name: "CreateContainerConfigError",
    message: "missing value for NOPE",
  });
});
