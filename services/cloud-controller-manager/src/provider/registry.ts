// Cloud providers by name: an explicit name → factory map (as kube-scheduler's in-tree registry); `--cloud-provider` picks one.
import { BARE_METAL, newBareMetalProvider } from "./bare-metal/provider.js";
import type { CloudProvider } from "./interface.js";
import type { ProviderFactory, ProviderOptions } from "./provider-options.js";

/** The providers built into this binary, by name. A fresh map each call: callers may add their own. */
export function inTreeProviders(): Map<string, ProviderFactory> {
  return new Map<string, ProviderFactory>([[BARE_METAL, newBareMetalProvider]]);
}

/** The provider named `name` from `providers` (default the in-tree ones), built from `options`. */
export async function newCloudProvider(name: string, options: ProviderOptions, providers: ReadonlyMap<string, ProviderFactory> = inTreeProviders()): Promise<CloudProvider> {
  const factory = providers.get(name);
  if (!factory) throw new Error(`cloudProvider: Unsupported value "${name}": supported values: ${[...providers.keys()].map((k) => `"${k}"`).join(", ")}`);
  return factory(options);
}
