// Kubernetes label selectors (k8s.io/apimachinery/pkg/labels): parsing, validation, canonical strings and fast matching.
import { SelectorParseError, compareStrings } from "./selector-error.js";

/** How a label requirement compares a label's value (the names follow metav1 and apimachinery). */
export type LabelOperator = "Equals" | "NotEquals" | "In" | "NotIn" | "Exists" | "DoesNotExist";

/**
 * One condition of a label selector. `values` is sorted and duplicate-free: exactly one value for
 * Equals/NotEquals, at least one for In/NotIn, none for Exists/DoesNotExist.
 */
export interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/**
 * A parsed label selector; every requirement must hold (AND).
 *
 * - `matches(labels)` is true when every requirement holds for `labels` (undefined/null means no
 *   labels). It allocates nothing, so it can run over large informer caches.
 * - `empty` is true for the selector that matches everything (no requirements), as `Empty()` in
 *   apimachinery.
 * - `selectsNothing` is true only for the selector made from a nil metav1.LabelSelector.
 * - `requirements` is sorted by key (then operator, then values).
 * - `toString()` is the canonical form: requirements sorted by key, values sorted, `==` written
 *   as `=`. It re-parses with `parseLabelSelector` to an equal selector. The select-nothing
 *   selector has no string form in the syntax; it returns `"<nothing>"`, which the parser rejects,
 *   so it can never be sent somewhere and silently read back as "everything" (Kubernetes returns
 *   `""`, which does exactly that).
 */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  readonly empty: boolean;
  readonly selectsNothing: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined | null): boolean;
  toString(): string;
}

/** The operators a metav1.LabelSelectorRequirement may use. */
export type LabelSelectorExpressionOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One entry of metav1.LabelSelector.matchExpressions. */
export interface LabelSelectorExpression {
  key: string;
  operator: LabelSelectorExpressionOperator;
  values?: readonly string[];
}

/** The structured selector form used in object specs (metav1.LabelSelector). */
export interface LabelSelectorObject {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorExpression[];
}

// ---------------------------------------------------------------------------------------------
// Validation (k8s.io/apimachinery/pkg/util/validation: IsQualifiedName, IsValidLabelValue)

const NAME_RE = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const NAME_CHARS_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Why `key` is not a valid label key, or undefined when it is. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  let name = key;
  if (slash >= 0) {
    if (key.indexOf("/", slash + 1) >= 0) return `invalid label key ${JSON.stringify(key)}: must have at most one "/"`;
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0) return `invalid label key ${JSON.stringify(key)}: prefix part must be non-empty`;
    if (prefix.length > 253) {
      return `invalid label key ${JSON.stringify(key)}: prefix part must be no more than 253 characters`;
    }
    if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return (
        `invalid label key ${JSON.stringify(key)}: prefix part must be a lowercase DNS-1123 subdomain ` +
        "(lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character)"
      );
    }
  }
  if (name.length === 0) return `invalid label key ${JSON.stringify(key)}: name part must be non-empty`;
  if (name.length > 63) return `invalid label key ${JSON.stringify(key)}: name part must be no more than 63 characters`;
  if (!NAME_RE.test(name)) return `invalid label key ${JSON.stringify(key)}: name part ${NAME_CHARS_MSG}`;
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > 63) return `invalid label value ${JSON.stringify(value)}: must be no more than 63 characters`;
  if (!NAME_RE.test(value)) return `invalid label value ${JSON.stringify(value)}: must be empty or ${NAME_CHARS_MSG}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Label selector implementation

const OP_EQUALS = 0;
const OP_NOT_EQUALS = 1;
const OP_IN = 2;
const OP_NOT_IN = 3;
const OP_EXISTS = 4;
const OP_DOES_NOT_EXIST = 5;

const OP_CODES: Readonly<Record<LabelOperator, number>> = {
  Equals: OP_EQUALS,
  NotEquals: OP_NOT_EQUALS,
  In: OP_IN,
  NotIn: OP_NOT_IN,
  Exists: OP_EXISTS,
  DoesNotExist: OP_DOES_NOT_EXIST,
};

/** A requirement prepared for matching: one value compares directly, several go through a Set. */
interface CompiledRequirement {
  readonly key: string;
  readonly op: number;
  readonly value: string;
  readonly set: ReadonlySet<string> | undefined;
}

function compareRequirements(a: Requirement, b: Requirement): number {
  return (
    compareStrings(a.key, b.key) ||
    OP_CODES[a.operator] - OP_CODES[b.operator] ||
    compareStrings(a.values.join(","), b.values.join(","))
  );
}

function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case "Equals":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "NotEquals":
      return `${r.key}!=${r.values[0] ?? ""}`;
    case "In":
      return `${r.key} in (${r.values.join(",")})`;
    case "NotIn":
      return `${r.key} notin (${r.values.join(",")})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
  }
}

const NOTHING_STRING = "<nothing>";

class LabelSelectorImpl implements LabelSelector {
  readonly requirements: readonly Requirement[];
  readonly empty: boolean;
  readonly selectsNothing: boolean;
  readonly #compiled: readonly CompiledRequirement[];
  readonly #string: string;

  constructor(requirements: Requirement[], selectsNothing: boolean) {
    const sorted = requirements
      .map((r) => {
        const values = Object.freeze([...new Set(r.values)].sort(compareStrings));
        return Object.freeze({ key: r.key, operator: r.operator, values });
      })
      .sort(compareRequirements);
    this.requirements = Object.freeze(sorted);
    this.selectsNothing = selectsNothing;
    this.empty = !selectsNothing && sorted.length === 0;
    this.#compiled = sorted.map((r) => ({
      key: r.key,
      op: OP_CODES[r.operator],
      value: r.values[0] ?? "",
      set: r.values.length > 1 ? new Set(r.values) : undefined,
    }));
    this.#string = selectsNothing ? NOTHING_STRING : sorted.map(requirementToString).join(",");
  }

  matches(labels: Readonly<Record<string, string>> | undefined | null): boolean {
    if (this.selectsNothing) return false;
    const compiled = this.#compiled;
    for (let i = 0; i < compiled.length; i++) {
      const r = compiled[i]!;
      const has = labels != null && Object.hasOwn(labels, r.key);
      switch (r.op) {
        case OP_EXISTS:
          if (!has) return false;
          break;
        case OP_DOES_NOT_EXIST:
          if (has) return false;
          break;
        case OP_EQUALS:
        case OP_IN: {
          if (!has) return false;
          const v = labels[r.key];
          if (r.set === undefined ? v !== r.value : !r.set.has(v as string)) return false;
          break;
        }
        default: {
          // NotEquals / NotIn: objects without the key match.
          if (!has) break;
          const v = labels[r.key];
          if (r.set === undefined ? v === r.value : r.set.has(v as string)) return false;
          break;
        }
      }
    }
    return true;
  }

  toString(): string {
    return this.#string;
  }
}

// --- lexer --------------------------------------------------------------------------------------

type TokenKind = "ident" | "=" | "==" | "!=" | "!" | "(" | ")" | "," | "<" | ">" | "end";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

const SPECIAL = new Set(["=", "!", "(", ")", ",", "<", ">"]);

function lexLabelSelector(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const next = text[i + 1];
    if (c === "=" && next === "=") {
      tokens.push({ kind: "==", text: "==", pos: i });
      i += 2;
    } else if (c === "!" && next === "=") {
      tokens.push({ kind: "!=", text: "!=", pos: i });
      i += 2;
    } else if (SPECIAL.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !isSpace(text[i]!) && !SPECIAL.has(text[i]!)) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), pos: start });
    }
  }
  tokens.push({ kind: "end", text: "", pos: text.length });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === "end" ? "end of selector" : JSON.stringify(t.text);
}

// --- parser -------------------------------------------------------------------------------------

class LabelParser {
  readonly #text: string;
  readonly #tokens: Token[];
  #i = 0;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = lexLabelSelector(text);
  }

  #fail(reason: string, pos: number): never {
    throw new SelectorParseError("label", this.#text, reason, pos);
  }

  #peek(): Token {
    return this.#tokens[this.#i]!;
  }

  #next(): Token {
    const t = this.#tokens[this.#i]!;
    if (t.kind !== "end") this.#i++;
    return t;
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    if (this.#peek().kind === "end") return out;
    for (;;) {
      out.push(this.#requirement());
      const t = this.#next();
      if (t.kind === "end") return out;
      if (t.kind !== ",") this.#fail(`expected "," or end of selector, found ${describe(t)}`, t.pos);
      const after = this.#peek();
      if (after.kind === "end" || after.kind === ",") this.#fail('missing requirement after ","', after.pos);
    }
  }

  #requirement(): Requirement {
    let t = this.#next();
    const negated = t.kind === "!";
    if (negated) t = this.#next();
    if (t.kind !== "ident") {
      this.#fail(t.kind === "end" ? "missing label key" : `expected label key, found ${describe(t)}`, t.pos);
    }
    const key = t.text;
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) this.#fail(keyProblem, t.pos);

    const la = this.#peek();
    const atBoundary = la.kind === "end" || la.kind === ",";
    if (negated) {
      if (!atBoundary) this.#fail(`"!${key}" takes no operator or value, found ${describe(la)}`, la.pos);
      return { key, operator: "DoesNotExist", values: [] };
    }
    if (atBoundary) return { key, operator: "Exists", values: [] };

    const op = this.#next();
    switch (op.kind) {
      case "=":
      case "==":
      case "!=":
        return { key, operator: op.kind === "!=" ? "NotEquals" : "Equals", values: [this.#exactValue()] };
      case "ident":
        if (op.text === "in" || op.text === "notin") {
          return { key, operator: op.text === "in" ? "In" : "NotIn", values: this.#valueSet(op) };
        }
        break;
      case "<":
      case ">":
        this.#fail(`operator ${JSON.stringify(op.text)} is not supported`, op.pos);
    }
    this.#fail(`expected operator ("=", "==", "!=", "in" or "notin") after label key, found ${describe(op)}`, op.pos);
  }

  #value(t: Token): string {
    const problem = labelValueProblem(t.text);
    if (problem !== undefined) this.#fail(problem, t.pos);
    return t.text;
  }

  /** The value after `=`, `==` or `!=`; nothing before `,` or the end is the empty value. */
  #exactValue(): string {
    const t = this.#peek();
    if (t.kind === "end" || t.kind === ",") return "";
    if (t.kind !== "ident") this.#fail(`expected label value, found ${describe(t)}`, t.pos);
    return this.#value(this.#next());
  }

  /** `( v1, v2, ... )` after in/notin; empty entries between commas are empty values. */
  #valueSet(op: Token): string[] {
    const open = this.#next();
    if (open.kind !== "(") this.#fail(`missing "(" after "${op.text}", found ${describe(open)}`, open.pos);
    if (this.#peek().kind === ")") {
      this.#fail(`"${op.text}" needs at least one value`, this.#peek().pos);
    }
    const values: string[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.kind === "ident") values.push(this.#value(this.#next()));
      else if (t.kind === "," || t.kind === ")") values.push("");
      else if (t.kind === "end") this.#fail('missing ")"', t.pos);
      else this.#fail(`expected label value, found ${describe(t)}`, t.pos);
      const sep = this.#next();
      if (sep.kind === ")") return values;
      if (sep.kind === "end") this.#fail('missing ")"', sep.pos);
      if (sep.kind !== ",") this.#fail(`expected "," or ")" in value list, found ${describe(sep)}`, sep.pos);
    }
  }
}

const EVERYTHING: LabelSelector = new LabelSelectorImpl([], false);
const NOTHING: LabelSelector = new LabelSelectorImpl([], true);

/**
 * Parses the label selector string syntax of k8s.io/apimachinery/pkg/labels: comma-separated
 * (AND) requirements `k=v`, `k==v`, `k!=v`, `k in (v1,v2)`, `k notin (v1,v2)`, `k` (exists) and
 * `!k` (does not exist), with whitespace allowed between tokens. `k=` compares with the empty
 * value. Keys must be qualified names (optional DNS-1123 subdomain prefix of at most 253
 * characters, `/`, name of at most 63 characters) and values valid label values. The empty (or
 * all-whitespace) string gives the selector that matches everything.
 * Throws SelectorParseError naming the problem and its 0-based position.
 */
export function parseLabelSelector(text: string): LabelSelector {
  if (text.trim() === NOTHING_STRING) {
    throw new SelectorParseError(
      "label",
      text,
      `${NOTHING_STRING} is the string form of the select-nothing selector and cannot be parsed`,
      text.indexOf("<"),
    );
  }
  const requirements = new LabelParser(text).parse();
  return requirements.length === 0 ? EVERYTHING : new LabelSelectorImpl(requirements, false);
}

/**
 * Converts a metav1.LabelSelector as LabelSelectorAsSelector does: `undefined`/`null` (a nil
 * selector) matches nothing; `{}` (no matchLabels and no matchExpressions) matches everything.
 * matchLabels entries become Equals requirements; In/NotIn expressions need at least one value and
 * Exists/DoesNotExist none; keys and values are validated as in parseLabelSelector.
 * Throws SelectorParseError (without a position; the reason names the offending entry).
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | undefined | null): LabelSelector {
  if (sel == null) return NOTHING;
  const fail = (reason: string): never => {
    throw new SelectorParseError("label", undefined, reason, undefined);
  };
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    const where = `matchLabels[${JSON.stringify(key)}]`;
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) fail(`${where}: ${keyProblem}`);
    if (typeof value !== "string") fail(`${where}: value must be a string`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) fail(`${where}: ${valueProblem}`);
    requirements.push({ key, operator: "Equals", values: [value] });
  }
  const expressions = sel.matchExpressions ?? [];
  for (let i = 0; i < expressions.length; i++) {
    const expr = expressions[i]!;
    const where = `matchExpressions[${i}]`;
    const keyProblem = labelKeyProblem(String(expr.key));
    if (keyProblem !== undefined) fail(`${where}.key: ${keyProblem}`);
    const values = expr.values ?? [];
    switch (expr.operator as string) {
      case "In":
      case "NotIn":
        if (values.length === 0) fail(`${where}.values: must be non-empty when operator is "${expr.operator}"`);
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length !== 0) fail(`${where}.values: must be empty when operator is "${expr.operator}"`);
        break;
      default:
        fail(
          `${where}.operator: ${JSON.stringify(expr.operator)} is not a valid label selector operator ` +
            "(In, NotIn, Exists or DoesNotExist)",
        );
    }
    for (let j = 0; j < values.length; j++) {
      const v = values[j]!;
      const valueProblem = typeof v === "string" ? labelValueProblem(v) : "value must be a string";
      if (valueProblem !== undefined) fail(`${where}.values[${j}]: ${valueProblem}`);
    }
    requirements.push({ key: expr.key, operator: expr.operator, values: [...values] });
  }
  return requirements.length === 0 ? EVERYTHING : new LabelSelectorImpl(requirements, false);
}
