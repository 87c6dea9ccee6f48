// The bare-metal provider: machines from an inventory file, load-balancer addresses from pools, host routes, local-path volumes.
import { readFile } from "node:fs/promises";
import type { coreV1Node } from "@kubeplane/api";
import type { CloudProvider, InstanceMetadata, Instances, LoadBalancer, Routes, Volumes, Zones } from "../interface.js";
import type { ProviderOptions } from "../provider-options.js";
import { parseBareMetalConfig, ProviderConfigError, type Machine } from "./config.js";
import { Inventory } from "./inventory.js";
import { LocalPathVolumes } from "./local-path.js";
import { PoolLoadBalancer } from "./load-balancer.js";
import { HostRoutes } from "./routes.js";

export const BARE_METAL = "bare-metal";
const PROVIDER_ID_PREFIX = "baremetal://";

type Node = coreV1Node.Node;

/** Machines are found by the Node's providerID when it has one, else by the Node's name. */
class InventoryInstances implements Instances, Zones {
  constructor(private readonly inventory: Inventory) {}

  machineOf(node: Node): Machine | undefined {
    const id = node.spec?.providerId ?? "";
    const name = id.startsWith(PROVIDER_ID_PREFIX) ? id.slice(PROVIDER_ID_PREFIX.length) : (node.metadata?.name ?? "");
    return this.inventory.get(name);
  }

  async instanceExists(node: Node): Promise<boolean> {
    await Promise.resolve();
    return this.machineOf(node) !== undefined;
  }

  async instanceShutdown(node: Node): Promise<boolean> {
    await Promise.resolve();
    return this.machineOf(node)?.shutdown === true;
  }

  async instanceMetadata(node: Node): Promise<InstanceMetadata | undefined> {
    await Promise.resolve();
    const m = this.machineOf(node);
    if (!m) return undefined;
    return { providerId: `${PROVIDER_ID_PREFIX}${m.name}`, instanceType: m.instanceType, addresses: m.addresses, zone: m.zone, region: m.region, labels: m.labels };
  }

  async getZone(node: Node): Promise<{ zone: string; region: string } | undefined> {
    await Promise.resolve();
    const m = this.machineOf(node);
    return m && { zone: m.zone, region: m.region };
  }
}

export class BareMetalProvider implements CloudProvider {
  readonly name = BARE_METAL;
  private readonly machines: InventoryInstances;
  private readonly lb: PoolLoadBalancer;
  private readonly hostRoutes: HostRoutes;
  private readonly localPath: LocalPathVolumes;

  constructor(
    readonly inventory: Inventory,
    pools: ConstructorParameters<typeof PoolLoadBalancer>[0],
    options: Pick<ProviderOptions, "localPathRoot" | "localNodeName">,
  ) {
    this.machines = new InventoryInstances(inventory);
    this.lb = new PoolLoadBalancer(pools);
    this.hostRoutes = new HostRoutes(inventory);
    this.localPath = new LocalPathVolumes(options.localPathRoot, options.localNodeName);
  }

  instances(): Instances {
    return this.machines;
  }

  zones(): Zones {
    return this.machines;
  }

  loadBalancer(): LoadBalancer {
    return this.lb;
  }

  routes(): Routes {
    return this.hostRoutes;
  }

  volumes(): Volumes {
    return this.localPath;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.inventory.run(signal);
  }

  onChange(listener: () => void): void {
    this.inventory.onChange(listener);
  }
}

/** Reads `--cloud-config` and the inventory it names; both must validate. */
export async function newBareMetalProvider(options: ProviderOptions): Promise<BareMetalProvider> {
  if (!options.configFile) throw new ProviderConfigError("--cloud-config", [{ type: "FieldValueRequired", field: "cloudConfig", detail: "the bare-metal provider needs a configuration file (inventory.file, loadBalancer.pools)" }]);
  const config = parseBareMetalConfig(await readFile(options.configFile, "utf8"), options.configFile);
  const inventory = new Inventory(config.inventoryFile, options.logger);
  await inventory.load();
  return new BareMetalProvider(inventory, config.pools, options);
}

