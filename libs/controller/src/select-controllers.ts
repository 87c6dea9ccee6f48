// `--controllers` of the controller managers: which of the known controllers run.

/**
 * The controllers `--controllers` selects: `*` is every one, `name` adds one, `-name` removes one,
 * in order. An unknown name is an error in Kubernetes' field wording, listing the known ones.
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
