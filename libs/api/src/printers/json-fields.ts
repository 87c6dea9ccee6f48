// Safe reads of fields of Kubernetes JSON objects (as the apiserver returns them, untyped).

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value at a path of keys and indexes, or undefined if any step is missing. */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof key === "number") cur = Array.isArray(cur) ? cur[key] : undefined;
    else cur = isRecord(cur) ? cur[key] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A string (numbers and booleans as text), "" when absent. */
export function str(obj: unknown, ...path: (string | number)[]): string {
  const v = at(obj, ...path);
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

export function num(obj: unknown, ...path: (string | number)[]): number | undefined {
  const v = at(obj, ...path);
  if (typeof v === "number") return v;
  if (typeof v === "string" && v !== "" && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

export function arr(obj: unknown, ...path: (string | number)[]): unknown[] {
  const v = at(obj, ...path);
  return Array.isArray(v) ? v : [];
}

export function rec(obj: unknown, ...path: (string | number)[]): Record<string, unknown> {
  const v = at(obj, ...path);
  return isRecord(v) ? v : {};
}

/** `a=1,b=2` from a string map, kubectl's `<none>` when empty. */
export function mapText(m: Record<string, unknown>, none = "<none>"): string {
  const parts = Object.entries(m).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(",") : none;
}

/** Deep equality of JSON values, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
