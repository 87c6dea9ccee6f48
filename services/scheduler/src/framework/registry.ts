// Plugin registries: the names profiles use, each mapped to the constructor of its plugin (kube-scheduler's runtime.Registry).
import type { PluginFactory } from "./interface.js";

/** name → factory. Built in one place (plugins/registry.ts's inTreeRegistry) and never changed after. */
export type Registry = Readonly<Record<string, PluginFactory>>;

/** Two plugins claim one name in merged registries. */
export class DuplicatePluginError extends Error {
  readonly code = "DUPLICATE_PLUGIN";

  constructor(readonly plugin: string) {
    super(`plugin "${plugin}" registered twice`);
    this.name = "DuplicatePluginError";
  }
}

/** `base` with the out-of-tree plugins of `extra` added (Registry.Merge); throws DuplicatePluginError when a name is in both. */
export function mergeRegistries(base: Registry, extra: Registry): Registry {
  for (const name of Object.keys(extra)) if (Object.hasOwn(base, name)) throw new DuplicatePluginError(name);
  return Object.freeze({ ...base, ...extra });
}
