// Integration test: a service swaps its serving certificate while running (kubelet certificate rotation) on both listeners.
import assert from "node:assert/strict";
import { X509Certificate as X509 } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { test } from "node:test";
import { loadConfig } from "@kubeplane/service-kit";
import { testPki, testPkiNow } from "@kubeplane/testing";
import { createEchoService, echoConfig } from "./fixtures/echo-service.js";

await testPki();

/** The serial of the certificate a TLS listener presents now (a fresh handshake, with a client certificate). */
function servedSerial(address: string): Promise<string> {
  const client = testPkiNow().files("admin");
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca: readFileSync(client.caFile), cert: readFileSync(client.certFile), key: readFileSync(client.keyFile), ALPNProtocols: ["h2", "http/1.1"], rejectUnauthorized: true, servername: "localhost" }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

test("reloadServingCertificate serves the replaced files on gRPC and HTTP from the next handshake on", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kp-reload-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = testPkiNow();
  const place = (name: string): void => {
    copyFileSync(pki.files(name).certFile, join(dir, "serving.crt"));
    copyFileSync(pki.files(name).keyFile, join(dir, "serving.key"));
  };
  place("scheduler");
  const service = createEchoService(
    loadConfig(echoConfig, {
      argv: ["--log-level=silent", `--tls-cert-file=${join(dir, "serving.crt")}`, `--tls-key-file=${join(dir, "serving.key")}`, `--tls-client-ca-file=${pki.caFile}`],
      env: {},
      envPrefix: "KP_ECHO",
    }),
  );
  const at = await service.start();
  t.after(() => service.stop());
  const httpAddress = at.httpUrl.replace(/^https:\/\//, "");
  const serial = (name: string): string => new X509(readFileSync(pki.files(name).certFile)).serialNumber;
  assert.equal(await servedSerial(at.grpcAddress), serial("scheduler"));
  assert.equal(await servedSerial(httpAddress), serial("scheduler"));

  place("controller-manager");
  assert.equal(await servedSerial(at.grpcAddress), serial("scheduler"), "nothing changes before the reload");
  service.reloadServingCertificate();
  assert.equal(await servedSerial(at.grpcAddress), serial("controller-manager"));
  assert.equal(await servedSerial(httpAddress), serial("controller-manager"));
});

