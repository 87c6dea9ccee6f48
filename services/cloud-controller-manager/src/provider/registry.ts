// Cloud providers by name: a provider registers a factory here, `--cloud-provider` picks one.
import type { Logger } from "@kubeplane/service-kit";
import type { CloudProvider } from "./interface.js";

/** What every provider factory gets from the cloud-controller-manager's configuration. */
export interface ProviderOptions {
  /** `--cloud-config`: the provider's own configuration file (undefined when not given). */
  configFile: string | undefined;
  /** `--local-path-root`: where local-path volumes live on each node. */
  localPathRoot: string;
  /** The Node this process runs on. */
  localNodeName: string;
  logger: Logger;
}

/** Builds a provider; throws (with the offending field path in the message) on bad configuration. */
export type ProviderFactory = (options: ProviderOptions) => Promise<CloudProvider>;

const factories = new Map<string, ProviderFactory>();

/** Registers a provider under `name` (a second registration of the same name is an error). */
export function registerCloudProvider(name: string, factory: ProviderFactory): void {
  if (factories.has(name)) throw new Error(`cloud provider "${name}" is already registered`);
  factories.set(name, factory);
}

/** The provider named `name`, built from `options`. */
export async function newCloudProvider(name: string, options: ProviderOptions): Promise<CloudProvider> {
  const factory = factories.get(name);
  if (!factory) throw new Error(`cloudProvider: Unsupported value "${name}": supported values: ${[...factories.keys()].map((k) => `"${k}"`).join(", ")}`);
  return factory(options);
}
