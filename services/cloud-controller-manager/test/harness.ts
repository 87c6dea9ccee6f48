// Test harness: a real control plane (etcd, NATS, apiserver process), a provider config in a temp dir, and cloud-controller-managers in-process.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { coreV1Config, isAlreadyExists, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { createLogger, loadConfig } from "@kubeplane/service-kit";
import { clientTls, serviceTlsConfig, startControlPlane, type ControlPlane } from "@kubeplane/testing";
import { cloudControllerManagerConfig, startCloudControllerManager, type CloudControllerManager, type CloudControllerManagerConfig } from "../src/index.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;

/** One inventory machine as written to the file. */
export interface MachineYaml {
  name: string;
  addresses?: { type: string; address: string }[];
  zone?: string;
  region?: string;
  instanceType?: string;
  labels?: Record<string, string>;
  shutdown?: boolean;
  netns?: string;
}

export interface CcmCluster {
  plane: ControlPlane;
  client: ApiClient;
  /** The temp dir holding cloud.yaml and inventory.yaml (and local-path volumes). */
  dir: string;
  /** Replaces the inventory file atomically (write + rename, as config management does). */
  writeInventory(machines: MachineYaml[]): void;
  /** Starts a cloud-controller-manager in-process, without leader election unless asked. */
  startCcm(overrides?: Partial<CloudControllerManagerConfig>): Promise<CloudControllerManager>;
  createNamespace(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the control plane and writes a provider config with `pools` (name → addresses). */
export async function startCcmCluster(opts: { machines?: MachineYaml[]; pools?: Record<string, string[]> } = {}): Promise<CcmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ccm-test-"));
  const managers: CloudControllerManager[] = [];
  const writeInventory = (machines: MachineYaml[]): void => {
    writeFileSync(join(dir, "inventory.yaml.tmp"), stringify({ machines }));
    renameSync(join(dir, "inventory.yaml.tmp"), join(dir, "inventory.yaml"));
  };
  writeInventory(opts.machines ?? []);
  const pools = Object.entries(opts.pools ?? {}).map(([name, addresses]) => ({ name, addresses }));
  writeFileSync(join(dir, "cloud.yaml"), stringify({ inventory: { file: "inventory.yaml" }, loadBalancer: { pools } }));
  let plane: ControlPlane;
  try {
    plane = await startControlPlane();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const client = ApiClient.connect({ ...clientTls(), server: plane.apiserver.grpcAddress });
  const logger = createLogger("ccm-test", "warn");
  return {
    plane,
    client,
    dir,
    writeInventory,
    async startCcm(overrides = {}) {
      const defaults = loadConfig(cloudControllerManagerConfig, { argv: [], envPrefix: "KP_CCM_TEST_UNSET", program: "ccm-test" });
      const ccm = await startCloudControllerManager(
        {
          ...defaults, ...serviceTlsConfig(clientTls("cloud-controller-manager")),
          grpcListen: "127.0.0.1:0",
          httpListen: "127.0.0.1:0",
          apiserver: plane.apiserver.grpcAddress,
          natsUrl: plane.nats.url,
          leaderElect: false,
          logLevel: "warn",
          shutdownGracePeriod: 2000,
          cloudConfig: join(dir, "cloud.yaml"),
          localPathRoot: join(dir, "local-path"),
          nodeMonitorPeriod: 500,
          routeReconcilePeriod: 1000,
          ...overrides,
        },
        { logger },
      );
      managers.push(ccm);
      return ccm;
    },
    async createNamespace(name) {
      try {
        await client.create(namespaces, coreV1Config.Namespace.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    },
    async stop() {
      await Promise.allSettled(managers.map((m) => m.stop()));
      client.close();
      await plane.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of a gauge/counter sample in a prom-client registry, or undefined. */
export async function metricValue(ccm: CloudControllerManager, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await ccm.service.metrics.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
  return sample?.value;
}
