// The cloud controllers by the name `--controllers` uses.
import type { ControllerConstructor } from "./context.js";

/** name → constructor. Each controller lives in its own file and adds itself here. */
export const controllerRegistry: Record<string, ControllerConstructor> = {};

/**
 * The controllers `--controllers` selects: `*` is every one, `name` adds one, `-name` removes one.
 * Unknown names are an error naming them.
 */
export function selectControllers(spec: readonly string[], known: readonly string[]): string[] {
  const selected = new Set<string>();
  for (const raw of spec) {
    const item = raw.trim();
    if (!item) continue;
    const name = item.replace(/^-/, "");
    if (name !== "*" && !known.includes(name)) throw new Error(`controllers: Unsupported value "${name}": supported values: ${known.map((k) => `"${k}"`).join(", ")}`);
    if (item === "*") known.forEach((k) => selected.add(k));
    else if (item.startsWith("-")) selected.delete(name);
    else selected.add(item);
  }
  return [...selected].sort();
}
