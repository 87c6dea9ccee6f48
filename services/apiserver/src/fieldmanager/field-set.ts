// Field sets as structured-merge-diff v4 keeps them: a tree of path elements in FieldsV1 form, with set algebra.

/**
 * One step of a field path, spelled as in FieldsV1: `f:<field>`, `k:<json object of the key fields>`
 * (an element of an associative list), `v:<json value>` (an element of a set), `i:<index>`.
 */
export type PathElement = string;

const SELF = ".";

/** FieldsV1 that cannot be decoded: an unknown element prefix or a non-object node. */
export class FieldsV1Error extends Error {
  override readonly name = "FieldsV1Error";
  readonly code = "EFIELDSV1";
}

/**
 * A set of field paths, as a tree: `members` are the paths ending at this node's children,
 * `children` hold the deeper paths. Both may name the same element (a list element that is owned
 * and has owned fields). Values are mutable: the operations below return new sets and never change
 * their arguments; `insert` and `remove` change the set in place.
 */
export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  /** The child for `element`, created when absent. */
  child(element: PathElement): FieldSet {
    let c = this.children.get(element);
    if (!c) {
      c = new FieldSet();
      this.children.set(element, c);
    }
    return c;
  }

  /** Adds the path `path` (non-empty). */
  insert(path: readonly PathElement[]): this {
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!);
    node.members.add(path[path.length - 1]!);
    return this;
  }

  has(path: readonly PathElement[]): boolean {
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]!);
    return !!node && node.members.has(path[path.length - 1]!);
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(other);
    return out;
  }

  /** The paths of this set that are not in `other` (a path's descendants are kept unless `other` names them too). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      const d = o ? c.difference(o) : c.copy();
      if (!d.isEmpty()) out.children.set(e, d);
    }
    return out;
  }

  /** The paths of this set that are not in `other` nor under a path of `other` (structured-merge-diff's RecursiveDifference). */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      if (other.members.has(e)) continue;
      const o = other.children.get(e);
      const d = o ? c.recursiveDifference(o) : c.copy();
      if (!d.isEmpty()) out.children.set(e, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(e, i);
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every path in the set, in FieldsV1 order. */
  paths(): PathElement[][] {
    const out: PathElement[][] = [];
    const walk = (node: FieldSet, prefix: PathElement[]): void => {
      for (const e of sortedElements(node)) {
        if (node.members.has(e)) out.push([...prefix, e]);
        const c = node.children.get(e);
        if (c) walk(c, [...prefix, e]);
      }
    };
    walk(this, []);
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  private addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [e, c] of other.children) this.child(e).addAll(c);
  }

  /** The FieldsV1 JSON (`{"f:spec":{"f:replicas":{}}}`); a node that is also a member gets `".": {}`. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const e of sortedElements(this)) {
      const c = this.children.get(e);
      const inner = c && !c.isEmpty() ? c.toFieldsV1() : undefined;
      if (inner) out[e] = this.members.has(e) ? { [SELF]: {}, ...inner } : inner;
      else if (this.members.has(e)) out[e] = {};
    }
    return out;
  }

  /** Decodes FieldsV1 JSON; throws FieldsV1Error for anything else. */
  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    decodeInto(set, json, 0);
    return set;
  }
}

function decodeInto(set: FieldSet, json: unknown, depth: number): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new FieldsV1Error(`a FieldsV1 node must be an object, got ${JSON.stringify(json)}`);
  if (depth > 100) throw new FieldsV1Error("FieldsV1 nested too deeply");
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === SELF) continue;
    if (!/^[fkvi]:/.test(key)) throw new FieldsV1Error(`unknown FieldsV1 path element ${JSON.stringify(key)}`);
    if (key[0] === "k" || key[0] === "v") {
      try {
        JSON.parse(key.slice(2));
      } catch {
        throw new FieldsV1Error(`FieldsV1 path element ${JSON.stringify(key)} does not hold JSON`);
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FieldsV1Error(`the FieldsV1 node of ${JSON.stringify(key)} must be an object`);
    const keys = Object.keys(value);
    if (keys.length === 0 || keys.includes(SELF)) set.members.add(key);
    if (keys.some((k) => k !== SELF)) decodeInto(set.child(key), value, depth + 1);
  }
}

const ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** The elements of a node (members and children), fields first, then keys, values, indexes; each group sorted. */
function sortedElements(node: FieldSet): PathElement[] {
  const all = new Set<PathElement>(node.members);
  for (const e of node.children.keys()) all.add(e);
  return [...all].sort((a, b) => (ORDER[a[0]!]! - ORDER[b[0]!]!) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A path as Kubernetes prints it in conflicts: `.spec.replicas`, `.spec.containers[name="web"].image`, `[="a"]`, `[0]`. */
export function pathString(path: readonly PathElement[]): string {
  let out = "";
  for (const e of path) {
    const body = e.slice(2);
    switch (e[0]) {
      case "f":
        out += `.${body}`;
        break;
      case "k": {
        const key = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
        break;
      }
      case "v":
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
