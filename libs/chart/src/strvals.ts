// Helm's `--set` language (strvals): `a.b=c,list[0]=x,tags={a,b}`, with Helm's typing of values.
import { ValuesError } from "./errors.js";
import type { Values } from "./types.js";

/** Helm refuses list indexes above this, so `a[99999999]=1` cannot allocate a huge array. */
const MAX_INDEX = 65536;

/**
 * Helm's typedVal: `true`/`false` (any case) are booleans, `null` is null, integers without a
 * leading zero are numbers (only when they fit a double exactly); anything else stays a string.
 * With `asString` (`--set-string`) every value is a string.
 */
export function typedValue(text: string, asString: boolean): unknown {
  if (asString) return text;
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "null") return null;
  if (text === "0") return 0;
  if (/^[+-]?[1-9]\d*$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  return text;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  /** Reads until one of `stops` (not consumed), honouring `\` escapes; returns the text and the stop met (undefined at the end). */
  until(stops: string): { text: string; stop: string | undefined } {
    let out = "";
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (c === "\\" && this.pos + 1 < this.text.length) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stops.includes(c)) return { text: out, stop: c };
      out += c;
      this.pos++;
    }
    return { text: out, stop: undefined };
  }
}

function isMap(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(expr: string, why: string): never {
  throw new ValuesError(`failed parsing --set data "${expr}": ${why}`);
}

/** `{a,b,c}`: a list value; its items are typed like scalars. */
function readListValue(s: Scanner, expr: string, asString: boolean): unknown[] {
  s.pos++; // "{"
  const items: unknown[] = [];
  for (;;) {
    const { text, stop } = s.until(",}");
    if (stop === undefined) fail(expr, "list value must terminate with '}'");
    s.pos++;
    items.push(typedValue(text, asString));
    if (stop === "}") break;
  }
  const next = s.peek();
  if (next !== undefined && next !== ",") fail(expr, `unexpected "${next}" after a list value`);
  return items;
}

/** The value after `=`: a list `{…}` or a scalar up to the next unescaped comma. */
function readValue(s: Scanner, expr: string, asString: boolean): unknown {
  if (s.peek() === "{") return readListValue(s, expr, asString);
  return typedValue(s.until(",").text, asString);
}

function readIndex(s: Scanner, expr: string): number {
  s.pos++; // "["
  const { text, stop } = s.until("]");
  if (stop === undefined) fail(expr, "missing ']'");
  s.pos++;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n)) fail(expr, `"${text}" is not a valid list index`);
  if (n > MAX_INDEX) fail(expr, `index of ${n} is greater than maximum supported index value of ${MAX_INDEX}`);
  return n;
}

/** Sets `list[index]` (growing it with nulls, as Helm does) from what follows the `]`. */
function setInList(s: Scanner, expr: string, list: unknown[], index: number, asString: boolean): unknown[] {
  while (list.length <= index) list.push(null);
  const next = s.peek();
  if (next === "=") {
    s.pos++;
    list[index] = readValue(s, expr, asString);
  } else if (next === ".") {
    s.pos++;
    const child = isMap(list[index]) ? (list[index] as Values) : {};
    list[index] = child;
    setInMap(s, expr, child, asString);
  } else if (next === "[") {
    const inner = Array.isArray(list[index]) ? (list[index] as unknown[]) : [];
    list[index] = setInList(s, expr, inner, readIndex(s, expr), asString);
  } else {
    fail(expr, `key "${String(index)}" has no value`);
  }
  return list;
}

/** Reads one `key(.key|[i])*=value` into `target`. */
function setInMap(s: Scanner, expr: string, target: Values, asString: boolean): void {
  const { text: key, stop } = s.until("=[.,");
  if (key === "") fail(expr, "key has no name");
  if (stop === undefined || stop === ",") fail(expr, `key "${key}" has no value`);
  if (stop === "=") {
    s.pos++;
    target[key] = readValue(s, expr, asString);
    return;
  }
  if (stop === ".") {
    s.pos++;
    const child = isMap(target[key]) ? (target[key] as Values) : {};
    target[key] = child;
    setInMap(s, expr, child, asString);
    return;
  }
  const list = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
  target[key] = setInList(s, expr, list, readIndex(s, expr), asString);
}

/**
 * Applies one `--set` (or, with `asString`, `--set-string`) expression to `target` in place:
 * comma-separated assignments, `.` for nested maps, `[i]` for list items, `\` escapes the next
 * character, `{a,b}` is a list. Throws ValuesError naming the expression.
 */
export function parseSet(expr: string, target: Values, asString = false): Values {
  const s = new Scanner(expr);
  while (!s.done()) {
    setInMap(s, expr, target, asString);
    if (s.peek() === ",") s.pos++;
  }
  return target;
}
