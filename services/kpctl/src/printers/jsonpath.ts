// kubectl's JSONPath template dialect (k8s.io/client-go/util/jsonpath): parse once, then render objects with it.

/** A template kubectl would refuse to parse, or one that fails on the data (index out of bounds, missing key). */
export class JsonPathError extends Error {
  override readonly name = "JsonPathError";
  readonly code = "EJSONPATH";
}

type SliceParam = { known: boolean; value: number; derived?: boolean };

/** One step of a path inside `{…}`. */
type PathNode =
  | { type: "field"; name: string }
  | { type: "wildcard" }
  | { type: "recursive" }
  | { type: "array"; params: [SliceParam, SliceParam, SliceParam] }
  | { type: "union"; members: PathNode[][] }
  | { type: "filter"; left: PathNode[]; op: string; right: PathNode[] }
  | { type: "text"; value: string }
  | { type: "number"; value: number }
  | { type: "bool"; value: boolean };

/** A piece of a template: literal text, an action `{path}`, or a `{range path}…{end}` block. */
type TemplateNode =
  | { type: "text"; value: string }
  | { type: "action"; path: PathNode[] }
  | { type: "range"; path: PathNode[]; body: TemplateNode[] };

const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const DICT_KEY = /^'([^']*)'$/;
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;

function isTerminator(c: string | undefined): boolean {
  return c === undefined || /[\s.,[\]$@{}]/.test(c);
}

/** Go's strconv.Unquote for "…" and '…' (the escapes JSON knows, plus \' and \a \v). */
function unquote(text: string): string {
  const body = text.slice(1, -1);
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.startsWith("u") && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", a: "\x07", "\\": "\\", '"': '"', "'": "'", "/": "/" };
    const out = map[e];
    if (out === undefined) throw new JsonPathError(`invalid escape \\${e} in ${text}`);
    return out;
  });
}

/** Parses the inside of one `{…}` action into path steps (and the range/end keyword it may start with). */
class ActionParser {
  private pos = 0;
  keyword: "range" | "end" | undefined;

  constructor(private readonly input: string) {}

  parse(): PathNode[] {
    const nodes: PathNode[] = [];
    const s = this.input;
    while (this.pos < s.length) {
      const rest = s.slice(this.pos);
      const c = s[this.pos] as string;
      if (rest.startsWith("[?(")) nodes.push(this.filter());
      else if (rest.startsWith("..")) {
        this.pos += 1; // the second dot starts the field
        nodes.push({ type: "recursive" });
      } else if (c === " " || c === "\t" || c === "@" || c === "$") this.pos++;
      else if (c === "[") nodes.push(...this.array());
      else if (c === '"' || c === "'") nodes.push(this.quote(c));
      else if (c === ".") nodes.push(this.field());
      else if (c === "+" || c === "-" || /\d/.test(c)) nodes.push(this.number());
      else if (/[\w]/.test(c)) this.identifier(nodes);
      else throw new JsonPathError(`unrecognized character in action: ${JSON.stringify(c)}`);
    }
    return nodes;
  }

  private field(): PathNode {
    this.pos++;
    let name = "";
    while (this.pos < this.input.length) {
      const c = this.input[this.pos];
      if (c === "\\") {
        name += this.input[this.pos + 1] ?? "";
        this.pos += 2;
        continue;
      }
      if (isTerminator(c)) break;
      name += c;
      this.pos++;
    }
    return name === "*" ? { type: "wildcard" } : { type: "field", name };
  }

  private identifier(nodes: PathNode[]): void {
    const start = this.pos;
    while (!isTerminator(this.input[this.pos])) this.pos++;
    const word = this.input.slice(start, this.pos);
    if (word === "true" || word === "false") nodes.push({ type: "bool", value: word === "true" });
    else if (word === "range" || word === "end") {
      if (nodes.length || this.keyword) throw new JsonPathError(`unexpected ${word}`);
      this.keyword = word;
    } else throw new JsonPathError(`unrecognized identifier ${word}`);
  }

  private number(): PathNode {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.input.length && /[\d.eE+-]/.test(this.input[this.pos] as string)) this.pos++;
    const text = this.input.slice(start, this.pos);
    const value = Number(text);
    if (Number.isNaN(value)) throw new JsonPathError(`cannot parse number ${text}`);
    return { type: "number", value };
  }

  private quote(q: string): PathNode {
    const start = this.pos++;
    while (this.pos < this.input.length && this.input[this.pos] !== q) this.pos += this.input[this.pos] === "\\" ? 2 : 1;
    if (this.pos >= this.input.length) throw new JsonPathError("unterminated quoted string");
    this.pos++;
    return { type: "text", value: unquote(this.input.slice(start, this.pos)) };
  }

  private array(): PathNode[] {
    const end = this.input.indexOf("]", this.pos);
    if (end < 0) throw new JsonPathError("unterminated array");
    let text = this.input.slice(this.pos + 1, end);
    this.pos = end + 1;
    if (text === "*") text = ":";
    const parts = text.split(",");
    if (parts.length > 1) return [{ type: "union", members: parts.map((p) => new ActionParser(`[${p.trim()}]`).parse()) }];
    // As kubectl: ['a.b'] is re-read as .a.b (its documented union example relies on it); a dot inside a key is escaped: ['a\.b'].
    const key = DICT_KEY.exec(text);
    if (key) return new ActionParser(`.${key[1] as string}`).parse();
    const m = SLICE.exec(text);
    if (!m) throw new JsonPathError(`invalid array index ${text}`);
    const params: [SliceParam, SliceParam, SliceParam] = [{ known: false, value: 0 }, { known: false, value: 0 }, { known: false, value: 0 }];
    for (let i = 0; i < 3; i++) {
      let v = m[i + 1] ?? "";
      if (v !== "") {
        if (i > 0) v = v.slice(1);
        if (!(i > 0 && v === "")) params[i] = { known: true, value: parseInt(v, 10) };
      } else if (i === 1) params[1] = { known: true, value: params[0].value + 1, derived: true };
    }
    return [{ type: "array", params }];
  }

  private filter(): PathNode {
    this.pos += 3;
    const start = this.pos;
    let quote: string | undefined;
    let closed = false;
    for (;;) {
      const c = this.input[this.pos++];
      if (c === undefined || c === "\n") throw new JsonPathError("unterminated filter");
      if (c === '"' || c === "'") {
        if (quote === undefined) quote = c;
        else if (c === quote && this.input[this.pos - 2] !== "\\") closed = true;
      } else if (c === ")" && (quote === undefined || closed)) break;
    }
    if (this.input[this.pos++] !== "]") throw new JsonPathError("unclosed array expect ]");
    const text = this.input.slice(start, this.pos - 2);
    const m = FILTER.exec(text);
    if (!m) return { type: "filter", left: new ActionParser(text).parse(), op: "exists", right: [] };
    return { type: "filter", left: new ActionParser(m[1] as string).parse(), op: m[2] as string, right: new ActionParser(m[3] as string).parse() };
  }
}

/** Splits a template into text and actions, nesting `{range}` … `{end}` blocks. */
function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: TemplateNode[][] = [root];
  let pos = 0;
  while (pos < template.length) {
    const open = template.indexOf("{", pos);
    const current = stack[stack.length - 1] as TemplateNode[];
    if (open < 0) {
      current.push({ type: "text", value: template.slice(pos) });
      break;
    }
    if (open > pos) current.push({ type: "text", value: template.slice(pos, open) });
    const close = closingBrace(template, open);
    const parser = new ActionParser(template.slice(open + 1, close));
    const path = parser.parse();
    if (parser.keyword === "range") {
      const body: TemplateNode[] = [];
      current.push({ type: "range", path, body });
      stack.push(body);
    } else if (parser.keyword === "end") {
      if (stack.length === 1) throw new JsonPathError("not in range, nothing to end");
      stack.pop();
    } else current.push({ type: "action", path });
    pos = close + 1;
  }
  if (stack.length > 1) throw new JsonPathError("unclosed range: missing {end}");
  return root;
}

/** The `}` ending the action at `open`, skipping braces inside quoted strings. */
function closingBrace(template: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "}") return i;
  }
  throw new JsonPathError("unclosed action");
}

// ---- evaluation -------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

interface EvalOptions {
  allowMissingKeys: boolean;
}

function walk(values: unknown[], path: readonly PathNode[], opts: EvalOptions): unknown[] {
  let cur = values;
  for (const node of path) cur = step(cur, node, opts);
  return cur;
}

function step(values: unknown[], node: PathNode, opts: EvalOptions): unknown[] {
  switch (node.type) {
    case "text":
    case "number":
    case "bool":
      return [node.value];
    case "field": {
      if (node.name === "") return values;
      const out: unknown[] = [];
      for (const v of values) {
        if (isObject(v) && Object.hasOwn(v, node.name)) {
          if (v[node.name] !== undefined) out.push(v[node.name]);
        } else if (!opts.allowMissingKeys && isObject(v)) throw new JsonPathError(`${node.name} is not found`);
      }
      return out;
    }
    case "wildcard":
      return values.flatMap((v) => (Array.isArray(v) ? v : isObject(v) ? Object.values(v) : []));
    case "recursive":
      return values.flatMap((v) => descendants(v));
    case "array":
      return values.flatMap((v) => slice(v, node.params));
    case "union":
      return node.members.flatMap((m) => walk(values, m, opts));
    case "filter":
      return values.flatMap((v) => filter(v, node, opts));
  }
}

/** `..`: the value and every container below it (the next step picks from each). */
function descendants(v: unknown): unknown[] {
  const children = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [];
  if (children.length === 0) return [];
  return [v, ...children.flatMap((c) => descendants(c))];
}

function slice(v: unknown, params: readonly [SliceParam, SliceParam, SliceParam]): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new JsonPathError(`${typeName(v)} is not array or slice`);
  const len = v.length;
  let start = params[0].known ? params[0].value : 0;
  if (start < 0) start += len;
  let end = params[1].known ? params[1].value : len;
  if (end < 0 || (end === 0 && params[1].derived)) end += len;
  if (end === start) return [];
  if (start >= len || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
  if (end > len || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
  if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
  let stride = 1;
  if (params[2].known) {
    if (params[2].value <= 0) throw new JsonPathError("step must be > 0");
    stride = params[2].value;
  }
  const out: unknown[] = [];
  for (let i = start; i < end; i += stride) out.push(v[i]);
  return out;
}

function filter(v: unknown, node: Extract<PathNode, { type: "filter" }>, opts: EvalOptions): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new JsonPathError(`${typeName(v)} is not array or slice and cannot be filtered`);
  const lenient = { allowMissingKeys: true };
  return v.filter((item) => {
    const lefts = walk([item], node.left, lenient);
    if (node.op === "exists") return lefts.length > 0;
    if (lefts.length === 0) return false;
    if (lefts.length > 1) throw new JsonPathError("can only compare one element at a time");
    const rights = walk([item], node.right, opts.allowMissingKeys ? lenient : opts);
    if (rights.length === 0) return false;
    if (rights.length > 1) throw new JsonPathError("can only compare one element at a time");
    return compare(lefts[0], node.op, rights[0]);
  });
}

function compare(left: unknown, op: string, right: unknown): boolean {
  const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
  switch (op) {
    case "==":
      return left === right;
    case "!=":
      return left !== right;
  }
  if (!comparable) throw new JsonPathError(`incompatible types for comparison: ${typeName(left)} ${op} ${typeName(right)}`);
  const [l, r] = [left as number | string, right as number | string];
  switch (op) {
    case "<":
      return l < r;
    case ">":
      return l > r;
    case "<=":
      return l <= r;
    case ">=":
      return l >= r;
  }
  throw new JsonPathError(`unrecognized filter operator ${op}`);
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? "array" : v === null ? "null" : isObject(v) ? "map" : typeof v;
}

/** Go's json.Marshal: map keys sorted, <, > and & escaped. */
export function goJson(v: unknown): string {
  const sorted = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sorted) : isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted(x[k])])) : x;
  return JSON.stringify(sorted(v) ?? null)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
}

/** A value as kubectl's JSONPath printer writes it: strings bare, objects and arrays as compact JSON. */
export function valueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "object") return goJson(v);
  return String(v);
}

/** A parsed kubectl JSONPath template. */
export class JsonPathTemplate {
  private readonly nodes: TemplateNode[];

  /** Throws JsonPathError for a template kubectl would refuse. */
  constructor(readonly source: string, private readonly opts: EvalOptions = { allowMissingKeys: true }) {
    this.nodes = parseTemplate(source);
  }

  /** The values of each action, in template order (range bodies once per element); text as one-value groups. */
  results(data: unknown): unknown[][] {
    const out: unknown[][] = [];
    const render = (nodes: readonly TemplateNode[], value: unknown): void => {
      for (const node of nodes) {
        if (node.type === "text") out.push([node.value]);
        else if (node.type === "action") out.push(walk([value], node.path, this.opts));
        else for (const item of walk([value], node.path, this.opts)) render(node.body, item);
      }
    };
    render(this.nodes, data);
    return out;
  }

  /** The template rendered over `data` as kubectl prints it: one action's values joined by spaces. */
  execute(data: unknown): string {
    return this.results(data)
      .map((group) => group.map(valueText).join(" "))
      .join("");
  }
}

/**
 * kubectl's relaxed field spec for custom-columns and --sort-by: `.a.b`, `a.b`, `{.a.b}` or
 * `{a.b}` all mean `{.a.b}`.
 */
export function relaxedJsonPath(expression: string): string {
  if (expression === "") return expression;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expression);
  if (!m) throw new JsonPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
  return `{.${m[1] ?? m[2] ?? ""}}`;
}
