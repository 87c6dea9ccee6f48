// DefaultBinder: binds the pod through the apiserver's binding subresource.
import { Code, SUCCESS, type BindPlugin, type Pod, type PluginHandle, type Status } from "../framework/interface.js";
import { registerPlugin } from "../framework/plugin-registry.js";

export const NAME = "DefaultBinder";

/**
 * What DefaultBinder needs beyond PluginHandle: a way to POST a Binding. The scheduler's handle
 * provides it (PluginHandle has no client in its contract).
 */
export interface BindingHandle {
  /** Creates pods/binding for `pod` (with its uid as precondition); rejects with the ApiError. */
  bindPod(pod: Pod, nodeName: string, signal: AbortSignal): Promise<void>;
}

function isBindingHandle(h: PluginHandle): h is PluginHandle & BindingHandle {
  return typeof (h as Partial<BindingHandle>).bindPod === "function";
}

export function newDefaultBinder(handle: PluginHandle): BindPlugin {
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

registerPlugin(NAME, (_args, handle) => newDefaultBinder(handle));
