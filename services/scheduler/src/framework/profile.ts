// Scheduling profiles: KubeSchedulerConfiguration's profiles (plugins per extension point,
// weights, args), kube-scheduler's default plugin set, and building a Framework from one.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type {
  BindPlugin,
  FilterPlugin,
  Plugin,
  PluginHandle,
  PostFilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  ReservePlugin,
  ScorePlugin,
} from "./interface.js";
import { Framework, type FrameworkOptions, type FrameworkPlugins } from "./framework.js";
import type { Registry } from "./registry.js";

export interface PluginRef {
  name: string;
  /** Score weight (Score and multiPoint only); default 1. */
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  /** `{name: "*"}` disables every default plugin of the extension point. */
  disabled?: PluginRef[];
}

export const EXTENSION_POINTS = ["multiPoint", "preFilter", "filter", "postFilter", "preScore", "score", "reserve", "bind"] as const;
export type ConfigExtensionPoint = (typeof EXTENSION_POINTS)[number];

/** One profile, as in KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1). */
export interface ProfileConfig {
  schedulerName: string;
  plugins?: Partial<Record<ConfigExtensionPoint, PluginSet>>;
  pluginConfig?: Array<{ name: string; args?: Record<string, unknown> }>;
}

/** The scheduler's profile file (a KubeSchedulerConfiguration subset). */
export interface SchedulerConfiguration {
  percentageOfNodesToScore?: number;
  profiles: ProfileConfig[];
}

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/**
 * kube-scheduler's default multiPoint plugins (pkg/scheduler/apis/config/v1/default_plugins.go)
 * minus those we do not have (PrioritySort is the queue's fixed order; of the volume plugins only
 * a lite VolumeBinding):
 * each plugin runs at every extension point it implements, in this order.
 */
export const DEFAULT_PLUGINS: readonly PluginRef[] = [
  { name: "NodeUnschedulable" },
  { name: "NodeName" },
  { name: "TaintToleration", weight: 3 },
  { name: "NodeAffinity", weight: 2 },
  { name: "NodePorts" },
  { name: "NodeResourcesFit", weight: 1 },
  { name: "VolumeBinding" },
  { name: "PodTopologySpread", weight: 2 },
  { name: "InterPodAffinity", weight: 2 },
  { name: "DefaultPreemption" },
  { name: "NodeResourcesBalancedAllocation", weight: 1 },
  { name: "ImageLocality", weight: 1 },
  { name: "DefaultBinder" },
];

/** A bad profile file; names the profile and field. */
export class ProfileConfigError extends Error {
  override readonly name = "ProfileConfigError";
  readonly code = "InvalidProfile";
}

export function defaultConfiguration(): SchedulerConfiguration {
  return { profiles: [{ schedulerName: DEFAULT_SCHEDULER_NAME }] };
}

/** Reads and validates a KubeSchedulerConfiguration YAML (or JSON) file. */
export function loadSchedulerConfiguration(file: string): SchedulerConfiguration {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ProfileConfigError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return validateSchedulerConfiguration(doc, file);
}

export function validateSchedulerConfiguration(doc: unknown, where = "configuration"): SchedulerConfiguration {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new ProfileConfigError(`${where}: must be a mapping`);
  const d = doc as Record<string, unknown>;
  const out: SchedulerConfiguration = { profiles: [] };
  if (d.percentageOfNodesToScore !== undefined) {
    const p = d.percentageOfNodesToScore;
    if (typeof p !== "number" || p < 0 || p > 100) throw new ProfileConfigError(`${where}: percentageOfNodesToScore must be 0..100`);
    out.percentageOfNodesToScore = p;
  }
  const profiles = d.profiles ?? [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  if (!Array.isArray(profiles) || profiles.length === 0) throw new ProfileConfigError(`${where}: profiles must be a non-empty list`);
  const names = new Set<string>();
  profiles.forEach((raw: unknown, i) => {
    const at = `${where}: profiles[${i}]`;
    if (!raw || typeof raw !== "object") throw new ProfileConfigError(`${at}: must be a mapping`);
    const p = raw as ProfileConfig;
    const name = p.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    if (typeof name !== "string" || !name) throw new ProfileConfigError(`${at}.schedulerName: must be a non-empty string`);
    if (names.has(name)) throw new ProfileConfigError(`${at}.schedulerName: duplicate profile ${name}`);
    names.add(name);
    for (const [point, set] of Object.entries(p.plugins ?? {})) {
      if (!(EXTENSION_POINTS as readonly string[]).includes(point)) throw new ProfileConfigError(`${at}.plugins.${point}: unknown extension point`);
      for (const which of ["enabled", "disabled"] as const) {
        for (const ref of (set as PluginSet)[which] ?? []) {
          if (!ref || typeof ref.name !== "string") throw new ProfileConfigError(`${at}.plugins.${point}.${which}: every entry needs a name`);
          if (ref.weight !== undefined && (typeof ref.weight !== "number" || ref.weight < 0)) {
            throw new ProfileConfigError(`${at}.plugins.${point}.${which}[${ref.name}].weight: must be a non-negative number`);
          }
        }
      }
    }
    out.profiles.push({ ...p, schedulerName: name });
  });
  return out;
}

/** What implements an extension point (plugins are plain objects; the method is the marker). */
const implementers = {
  preFilter: (p: Plugin): p is PreFilterPlugin => typeof (p as PreFilterPlugin).preFilter === "function",
  filter: (p: Plugin): p is FilterPlugin => typeof (p as FilterPlugin).filter === "function",
  postFilter: (p: Plugin): p is PostFilterPlugin => typeof (p as PostFilterPlugin).postFilter === "function",
  preScore: (p: Plugin): p is PreScorePlugin => typeof (p as PreScorePlugin).preScore === "function",
  score: (p: Plugin): p is ScorePlugin => typeof (p as ScorePlugin).score === "function",
  reserve: (p: Plugin): p is ReservePlugin => typeof (p as ReservePlugin).reserve === "function",
  bind: (p: Plugin): p is BindPlugin => typeof (p as BindPlugin).bind === "function",
};
type Point = keyof typeof implementers;

export interface BuildLogger {
  warn(obj: object, msg: string): void;
}

/**
 * A Framework for `profile`: the default multiPoint set merged with the profile's enabled and
 * disabled plugins per extension point, one instance per plugin name (shared by the points it
 * implements), constructed from `registry`. A plugin the registry does not know is skipped with a
 * warning, never fatal.
 */
export function buildFramework(
  profile: ProfileConfig,
  registry: Registry,
  handle: PluginHandle,
  logger: BuildLogger,
  options: Pick<FrameworkOptions, "observe" | "observePlugin" | "nominator"> = {},
): Framework {
  const cfg = profile.plugins ?? {};
  const disabledAll = (set?: PluginSet): boolean => (set?.disabled ?? []).some((r) => r.name === "*");
  const disabledNames = (set?: PluginSet): Set<string> => new Set((set?.disabled ?? []).map((r) => r.name));
  const multi: PluginRef[] = [
    ...(disabledAll(cfg.multiPoint) ? [] : DEFAULT_PLUGINS.filter((r) => !disabledNames(cfg.multiPoint).has(r.name))),
    ...(cfg.multiPoint?.enabled ?? []),
  ];
  const instances = new Map<string, Plugin | null>();
  const args = new Map((profile.pluginConfig ?? []).map((c) => [c.name, c.args]));
  const instance = (name: string): Plugin | undefined => {
    if (!instances.has(name)) {
      const factory = Object.hasOwn(registry, name) ? registry[name] : undefined;
      if (!factory) {
        logger.warn({ profile: profile.schedulerName, plugin: name }, "plugin not registered: skipped");
        instances.set(name, null);
      } else {
        instances.set(name, factory(args.get(name), handle));
      }
    }
    return instances.get(name) ?? undefined;
  };

  const resolve = (point: Point): Array<{ plugin: Plugin; weight: number }> => {
    const set = cfg[point];
    const off = disabledNames(set);
    const refs = new Map<string, PluginRef>();
    if (!disabledAll(set)) for (const r of multi) if (!off.has(r.name)) refs.set(r.name, r);
    for (const r of set?.enabled ?? []) refs.set(r.name, { ...refs.get(r.name), ...r });
    const out: Array<{ plugin: Plugin; weight: number }> = [];
    const explicit = new Set((set?.enabled ?? []).map((r) => r.name));
    for (const ref of refs.values()) {
      const plugin = instance(ref.name);
      if (!plugin) continue;
      if (!implementers[point](plugin)) {
        if (explicit.has(ref.name)) throw new ProfileConfigError(`profile ${profile.schedulerName}: plugin ${ref.name} does not implement ${point}`);
        continue;
      }
      out.push({ plugin, weight: ref.weight ?? 1 });
    }
    return out;
  };

  const plugins: FrameworkPlugins = {
    preFilter: resolve("preFilter").map((x) => x.plugin as PreFilterPlugin),
    filter: resolve("filter").map((x) => x.plugin as FilterPlugin),
    postFilter: resolve("postFilter").map((x) => x.plugin as PostFilterPlugin),
    preScore: resolve("preScore").map((x) => x.plugin as PreScorePlugin),
    score: resolve("score").map((x) => ({ plugin: x.plugin as ScorePlugin, weight: x.weight })),
    reserve: resolve("reserve").map((x) => x.plugin as ReservePlugin),
    bind: resolve("bind").map((x) => x.plugin as BindPlugin),
  };
  return new Framework({ ...options, profileName: profile.schedulerName, plugins });
}
