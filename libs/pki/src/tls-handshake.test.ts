// Tests that issued certificates work for real mutual TLS over loopback, and that another CA's do not.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import tls from "node:tls";
import { initPki, type IssuedCert } from "./index.js";

const root = await mkdtemp(join(tmpdir(), "kp-pki-tls-"));
after(() => rm(root, { recursive: true, force: true }));
const pki = await initPki(join(root, "cluster"));
const foreign = await initPki(join(root, "foreign"));

const server = await pki.issue({
  name: "server",
  commonName: "kube-apiserver",
  dnsNames: ["localhost"],
  ipAddresses: ["127.0.0.1"],
  usages: ["server"],
});
const client = await pki.issue({
  name: "client",
  commonName: "kubernetes-admin",
  organizations: ["system:masters"],
  usages: ["client"],
});
const foreignClient = await foreign.issue({ name: "client", commonName: "intruder", usages: ["client"] });
const serverOnly = await pki.issue({ name: "server-only", commonName: "not-a-client", usages: ["server"] });

/** Starts a server requiring a client certificate of the cluster CA; resolves the peer CN it saw. */
async function startServer(): Promise<{ port: number; peers: string[]; close: () => Promise<void> }> {
  const peers: string[] = [];
  const srv = tls.createServer(
    {
      cert: await readFile(server.certFile),
      key: await readFile(server.keyFile),
      ca: await readFile(pki.caFile("cluster")),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const subject = socket.getPeerCertificate().subject as unknown as Record<string, string> | undefined;
      peers.push(subject?.CN ?? "");
      socket.end("hello\n");
    },
  );
  srv.on("tlsClientError", () => undefined);
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return {
    port: (srv.address() as AddressInfo).port,
    peers,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

/** Connects with the given client certificate and trusted CA; resolves what the server sent. */
async function dial(port: number, cert: IssuedCert | undefined, caFile: string, servername = "localhost"): Promise<string> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    servername,
    ca: await readFile(caFile),
    ...(cert ? { cert: await readFile(cert.certFile), key: await readFile(cert.keyFile) } : {}),
  });
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  return await new Promise<string>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("end", () => (data === "" ? reject(new Error("closed without data")) : resolve(data)));
  });
}

test("mutual TLS succeeds with an issued server and client certificate, and the server sees the client's CN", async () => {
  const srv = await startServer();
  after(srv.close);
  assert.equal(await dial(srv.port, client, pki.caFile("cluster")), "hello\n");
  assert.deepEqual(srv.peers, ["kubernetes-admin"]);
});

test("a client certificate of another CA, none, or one without clientAuth is refused", async () => {
  const srv = await startServer();
  after(srv.close);
  await assert.rejects(dial(srv.port, foreignClient, pki.caFile("cluster")));
  await assert.rejects(dial(srv.port, undefined, pki.caFile("cluster")));
  await assert.rejects(dial(srv.port, serverOnly, pki.caFile("cluster")));
  assert.deepEqual(srv.peers, []);
});

test("the client refuses a server outside its trusted CA or whose SANs do not name it", async () => {
  const srv = await startServer();
  after(srv.close);
  await assert.rejects(dial(srv.port, client, foreign.caFile("cluster")), /self-signed|unable to verify|certificate/i);
  await assert.rejects(dial(srv.port, client, pki.caFile("cluster"), "elsewhere.example"), /altnames|Hostname/i);
});
