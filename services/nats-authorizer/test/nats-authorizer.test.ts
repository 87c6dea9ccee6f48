// The nats-authorizer as a process beside a real nats-server and apiserver: a Node's certificate reaches NATS (its own pods only) once the Node exists, loses it when the Node goes, and unchanged Nodes cause no reload.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { coreV1Node, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, connectNatsWithRetry } from "@kubeplane/client";
import { clientTls, natsOptions, startControlPlane, startNatsAuthorizer, testPkiNow, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";

const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const NODE = "nats-authz-a";
const OTHER = "nats-authz-b";

/** The value of a counter sample in a /metrics text (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("nats-authorizer", () => {
  let cp: ControlPlane;
  let authorizer: ServiceProcess;
  let admin: ApiClient;
  const conns: NatsConnection[] = [];

  before(async () => {
    cp = await startControlPlane();
    // A short resync, so "nothing changed" is rendered (and must not reload) several times a second.
    authorizer = await startNatsAuthorizer(cp.nats, cp.apiserver.grpcAddress, { "resync-period": "200ms" });
    admin = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    await testPkiNow().node(NODE);
  });

  after(async () => {
    await Promise.allSettled(conns.map((c) => c.close()));
    admin?.close();
    await authorizer?.kill();
    await cp?.stop();
  });

  const connectAs = async (node: string): Promise<NatsConnection> => {
    const nc = await connect({ ...natsOptions(cp.nats.url, `node-${node}`), reconnect: false, timeout: 3000 });
    conns.push(nc);
    return nc;
  };

  test("a Node's certificate is refused until its Node exists, then reads its own pods only; the Node's deletion revokes it", async () => {
    await assert.rejects(connectAs(NODE), /Authorization Violation|AUTHORIZATION_VIOLATION/i);
    // As the kubelet connects: retries with back-off, saying why, until the authorizer caught up.
    const warnings: string[] = [];
    const files = testPkiNow().files(`node-${NODE}`);
    const settings = { apiserver: cp.apiserver.grpcAddress, natsUrl: cp.nats.url, caFile: files.caFile, clientCertFile: files.certFile, clientKeyFile: files.keyFile };
    const connecting = connectNatsWithRetry(settings, { name: NODE, logger: { info: () => undefined, warn: (_o, msg) => void warnings.push(msg) }, signal: AbortSignal.timeout(10_000), initialDelayMs: 50, maxDelayMs: 200 });
    await waitFor(() => warnings.length > 0, { timeoutMs: 5_000, message: "a refused attempt" });
    assert.match(warnings[0]!, /authorization violation/);

    await admin.create(nodes, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: NODE } }));
    const started = Date.now();
    const retried = await connecting;
    conns.push(retried);
    const joinMs = Date.now() - started;
    assert.ok(joinMs < 5_000, `connected ${joinMs} ms after the Node was created`);

    const nc = await connectAs(NODE);
    const statuses: string[] = [];
    void (async () => {
      for await (const st of nc.status()) statuses.push(`${st.type} ${String(st.data)}`);
    })();
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    const consumerOn = (name: string, filter: string) =>
      jsm.consumers.add("KP_WATCH", { name, filter_subject: filter, ack_policy: AckPolicy.None, inactive_threshold: 10_000_000_000 });
    const own = await consumerOn("own", `kp.watch.pods-by-node.${NODE}.>`);
    assert.equal(own.config.filter_subject, `kp.watch.pods-by-node.${NODE}.>`);
    await assert.rejects(consumerOn("spy", `kp.watch.pods-by-node.${OTHER}.>`), /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.KP_WATCH\.spy\./);
    const spy = nc.subscribe(`kp.watch.pods-by-node.${OTHER}.>`);
    await assert.rejects(
      (async () => {
        for await (const m of spy) assert.fail(`${NODE} received ${m.subject}`);
      })(),
      /Permissions Violation for Subscription/,
    );
    // A publish onto the watch subjects: refused (one more violation), and nothing reaches the stream.
    const violations = statuses.filter((x) => /PERMISSIONS_VIOLATION/.test(x)).length;
    nc.publish("kp.watch.pods.default.forged", new Uint8Array([1]));
    await nc.flush();
    await waitFor(() => statuses.filter((x) => /PERMISSIONS_VIOLATION/.test(x)).length > violations, { timeoutMs: 5000, message: "the publish refused" });
    const publisher = await connect({ ...natsOptions(cp.nats.url), reconnect: false });
    conns.push(publisher);
    await assert.rejects((await publisher.jetstreamManager()).streams.getMessage("KP_WATCH", { last_by_subj: "kp.watch.pods.default.forged" }), /no message found/i);

    await admin.delete(nodes, "", NODE);
    // Revoked: nats-server drops the connected client whose user is gone, and refuses new ones.
    await waitFor(() => nc.isClosed(), { timeoutMs: 10_000, message: "the connection of the deleted Node's user closed" });
    await waitFor(
      () =>
        connectAs(NODE).then(
          (c) => (void c.close(), false),
          (err: Error) => /Authorization Violation/i.test(err.message),
        ),
      { timeoutMs: 10_000, message: "the deleted Node's certificate refused" },
    );
  });

  test("unchanged Nodes cause no reload: a label change and resyncs render the same file", async () => {
    await admin.create(nodes, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: OTHER } }));
    const metrics = (): Promise<string> => authorizer.metrics();
    // In step: the file names the new node and a render found nothing more to change.
    const settled = async (): Promise<string | undefined> => {
      if (!(await readFile(cp.nats.authorizationFile, "utf8")).includes(`system:node:${OTHER}`)) return undefined;
      const first = sample(await metrics(), 'kubeplane_nats_authorizer_renders_total{changed="false"}');
      return waitFor(async () => {
        const text = await metrics();
        return sample(text, 'kubeplane_nats_authorizer_renders_total{changed="false"}') > first ? text : undefined;
      });
    };
    const before = await waitFor(settled, { timeoutMs: 10_000, message: "the new Node's user written and a render that changed nothing" });
    const reloads = sample(before, 'kubeplane_nats_authorizer_reloads_total{result="success"}');
    assert.ok(reloads >= 1, "the Nodes created so far were reloads");
    const unchanged = sample(before, 'kubeplane_nats_authorizer_renders_total{changed="false"}');
    const node = await admin.get(nodes, "", OTHER);
    await admin.update(nodes, { ...node, metadata: { ...node.metadata!, labels: { team: "a" } } });
    await waitFor(async () => sample(await metrics(), 'kubeplane_nats_authorizer_renders_total{changed="false"}') >= unchanged + 5, { timeoutMs: 10_000, message: "five unchanged renders" });
    const now = await metrics();
    assert.equal(sample(now, 'kubeplane_nats_authorizer_reloads_total{result="success"}'), reloads);
    assert.equal(sample(now, 'kubeplane_nats_authorizer_reloads_total{result="error"}'), 0);
  });
});
