// A real control plane for a service's tests: etcd and NATS JetStream on free loopback ports and
// the apiserver as its own process (run from its source by path, so no library imports a service).
import { fileURLToPath } from "node:url";
import { startEtcd, type EtcdCluster } from "./etcd-cluster.js";
import { startNatsAuthorizer } from "./nats-authorizer.js";
import { startNats, type NatsServer } from "./nats-server.js";
import { startServiceProcess, type ServiceProcess } from "./service-process.js";

/** The apiserver's entry file in this repository. */
export const apiserverEntry = fileURLToPath(new URL("../../../services/apiserver/src/main.ts", import.meta.url));

/** The entry file (`src/main.ts`) of the service named `name` in this repository. */
export function serviceEntry(name: string): string {
  return fileURLToPath(new URL(`../../../services/${name}/src/main.ts`, import.meta.url));
}

export interface ControlPlane {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiserver: ServiceProcess;
  /**
   * Starts the nats-authorizer beside NATS (once; later calls return the same process), so a node
   * gets its NATS user from its Node object, as in `make up` and deployments. Stopped by `stop`.
   */
  natsAuthorizer(): Promise<ServiceProcess>;
  /** Kills the nats-authorizer and the apiserver and stops NATS and etcd (their data directories go too). */
  stop(): Promise<void>;
}

/** Starts etcd, NATS and one apiserver process; `apiserverFlags` are extra flags without dashes. */
export async function startControlPlane(opts: { apiserverFlags?: Record<string, string> } = {}): Promise<ControlPlane> {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  try {
    const apiserver = await startServiceProcess({
      entry: apiserverEntry,
      flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, ...opts.apiserverFlags },
    });
    let authorizer: Promise<ServiceProcess> | undefined;
    return {
      etcd,
      nats,
      apiserver,
      natsAuthorizer() {
        authorizer ??= startNatsAuthorizer(nats, apiserver.grpcAddress);
        return authorizer;
      },
      async stop() {
        await authorizer?.then((a) => a.kill(), () => undefined);
        await apiserver.kill();
        await Promise.allSettled([etcd.stop(), nats.stop()]);
      },
    };
  } catch (err) {
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    throw err;
  }
}
