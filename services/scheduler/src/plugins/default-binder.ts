// DefaultBinder: binds the pod through the apiserver's binding subresource.
import { Code, SUCCESS, type BindingHandle, type BindPlugin, type PluginFactory, type PluginHandle, type Status } from "../framework/interface.js";

export const NAME = "DefaultBinder";

function isBindingHandle(h: PluginHandle): h is PluginHandle & BindingHandle {
  return typeof (h as Partial<BindingHandle>).bindPod === "function";
}

/** DefaultBinder over `handle`, which must be a scheduler handle with bindPod. */
export function defaultBinder(handle: PluginHandle): BindPlugin {
  if (!isBindingHandle(handle)) throw new Error(`${NAME} needs a scheduler handle with bindPod`);
  return {
    name: NAME,
    async bind(_state, pod, nodeName, signal): Promise<Status> {
      try {
        await handle.bindPod(pod.pod, nodeName, signal);
        return SUCCESS;
      } catch (err) {
        return { code: Code.Error, reasons: [`binding rejected: ${(err as Error).message}`], plugin: NAME };
      }
    },
  } satisfies BindPlugin;
}

/** The registry's constructor of DefaultBinder. */
export const newDefaultBinder: PluginFactory = (_args, handle) => defaultBinder(handle);
