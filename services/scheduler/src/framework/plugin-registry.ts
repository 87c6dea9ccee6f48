// The plugins the scheduler knows, by the names profiles use (kube-scheduler's in-tree registry).
import type { PluginFactory } from "./interface.js";

const factories = new Map<string, PluginFactory>();

/** Called once by each plugin file (see plugins/all.ts). */
export function registerPlugin(name: string, factory: PluginFactory): void {
  if (factories.has(name)) throw new Error(`plugin "${name}" registered twice`);
  factories.set(name, factory);
}

export function pluginFactory(name: string): PluginFactory | undefined {
  return factories.get(name);
}

export function registeredPlugins(): string[] {
  return [...factories.keys()].sort();
}
