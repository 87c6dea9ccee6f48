// What a cloud provider is built from: the contract between the registry and each provider's factory.
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
