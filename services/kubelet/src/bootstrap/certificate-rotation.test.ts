// Unit tests of certificate rotation's timing: a long-lived certificate is not renewed early.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCsr, CsrSigner, initPki } from "@kubeplane/pki";
import { writeStoredCertificate } from "./cert-files.js";
import { runCertificateRotation } from "./certificate-rotation.js";

test("a certificate valid for a year (past Node's 24.8-day timer limit) is not renewed at once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-rotation-"));
  const stop = new AbortController();
  try {
    const pki = await initPki(join(dir, "pki"));
    const signer = await CsrSigner.load(pki.caFile("cluster"), join(dir, "pki", "ca.key"));
    const csr = await createCsr({ commonName: "system:node:n1", organizations: ["system:nodes"] });
    const certPem = await signer.sign(csr.csrPem, { usages: ["client"], lifetimeSeconds: 365 * 24 * 3600 });
    const file = join(dir, "kubelet-client-current.pem");
    await writeStoredCertificate(file, certPem, csr.keyPem);
    let requests = 0;
    const done = runCertificateRotation({
      what: "client",
      file,
      caFile: pki.caFile("cluster"),
      request: async () => {
        requests++;
        return { certPem, keyPem: csr.keyPem };
      },
      rotated: () => undefined,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    await done;
    assert.equal(requests, 0, "no renewal requested for a fresh year-long certificate");
    assert.ok((await readFile(file, "utf8")).includes(certPem.trim().split("\n")[1]!));
  } finally {
    stop.abort();
    await rm(dir, { recursive: true, force: true });
  }
});
