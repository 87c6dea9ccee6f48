// Test harness: a real etcd, a real NATS JetStream and in-process apiservers on free loopback ports.
import { connect, type NatsConnection } from "nats";
import { ApiClient, type WatchConnection } from "@kubeplane/client";
import { createLogger, loadConfig } from "@kubeplane/service-kit";
import { apiserverEncryptionConfig, apiserverTlsConfig, clientTls, natsOptions, startEtcd, startNats, type EtcdCluster, type NatsServer } from "@kubeplane/testing";
import { apiserverConfig, startApiserver, type Apiserver, type ApiserverConfig } from "../src/index.js";

export interface TestCluster {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiservers: Apiserver[];
  /** A client of the first apiserver. */
  client: ApiClient;
  /** A NATS connection for informers. */
  watch: WatchConnection & { nc: NatsConnection };
  /** Starts one more apiserver replica on the same etcd and NATS. */
  addApiserver(overrides?: Partial<ApiserverConfig>): Promise<Apiserver>;
  clientOf(apiserver: Apiserver): ApiClient;
  stop(): Promise<void>;
}

export function testConfig(etcd: EtcdCluster, nats: NatsServer, overrides: Partial<ApiserverConfig> = {}): ApiserverConfig {
  const defaults = loadConfig(apiserverConfig, { argv: [], envPrefix: "KP_APISERVER_TEST_UNSET", program: "apiserver-test" });
  return {
    ...defaults,
    grpcListen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    restListen: "127.0.0.1:0",
    etcdEndpoints: etcd.endpoints,
    natsUrl: nats.url,
    leaderLeaseTtl: 2000,
    logLevel: "warn",
    shutdownGracePeriod: 2000,
    ...apiserverTlsConfig(),
    ...apiserverEncryptionConfig(),
    ...overrides,
  };
}

/** `etcdCgroups`: each etcd member in a cgroup of its own, for tests that isolate one (startPartitioner). */
export async function startTestCluster(opts: { etcdMembers?: 1 | 3; etcdCgroups?: boolean; config?: Partial<ApiserverConfig> } = {}): Promise<TestCluster> {
  const [etcd, nats] = await Promise.all([startEtcd({ members: opts.etcdMembers ?? 1, cgroups: opts.etcdCgroups ?? false }), startNats({ jetstream: true })]);
  const apiservers: Apiserver[] = [];
  const clients: ApiClient[] = [];
  const logger = createLogger("apiserver-test", "warn");
  let counter = 0;
  const addApiserver = async (overrides: Partial<ApiserverConfig> = {}): Promise<Apiserver> => {
    const a = await startApiserver(testConfig(etcd, nats, { identity: `apiserver-${counter++}`, ...opts.config, ...overrides }), logger);
    apiservers.push(a);
    return a;
  };
  const clientOf = (a: Apiserver): ApiClient => {
    const c = ApiClient.connect({ ...clientTls(), server: a.addresses.grpcAddress, timeoutMs: 15_000 });
    clients.push(c);
    return c;
  };
  try {
    const first = await addApiserver();
    const nc = await connect({ ...natsOptions(nats.url, "admin"), reconnectTimeWait: 200 });
    const watch = { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
    return {
      etcd,
      nats,
      apiservers,
      client: clientOf(first),
      watch,
      addApiserver,
      clientOf,
      async stop() {
        for (const c of clients) c.close();
        await nc.close().catch(() => undefined);
        await Promise.allSettled(apiservers.map((a) => a.stop()));
        await Promise.allSettled([etcd.stop(), nats.stop()]);
      },
    };
  } catch (err) {
    await Promise.allSettled(apiservers.map((a) => a.stop()));
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    throw err;
  }
}
