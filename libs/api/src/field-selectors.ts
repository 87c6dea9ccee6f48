// Kubernetes field selectors (k8s.io/apimachinery/pkg/fields): parsing with escapes, canonical strings and matching.
import { SelectorParseError, compareStrings } from "./selector-error.js";

/** How a field requirement compares a field's value. */
export type FieldOperator = "Equals" | "NotEquals";

/** One condition of a field selector: `field` compared with `value` (already unescaped). */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

/**
 * A parsed field selector; every requirement must hold (AND).
 *
 * - `matches(get)` asks `get` for each field path; a field `get` returns undefined for is treated
 *   as the empty string, as Kubernetes' fields.Set does (so `spec.nodeName=` matches unscheduled
 *   pods). It allocates nothing per call.
 * - `empty` is true when there are no requirements (matches everything).
 * - `toString()` is the canonical form: requirements sorted by field, operator, value; values
 *   escaped (`\\`, `\,`, `\=`). It re-parses to an equal selector.
 */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(get: (path: string) => string | undefined): boolean;
  toString(): string;
}

const FIELD_PATH_RE = /^[A-Za-z0-9_](?:[-A-Za-z0-9_./[\]]*[A-Za-z0-9_\]])?$/;

function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function fieldRequirementToString(r: FieldRequirement): string {
  return `${r.field}${r.operator === "Equals" ? "=" : "!="}${escapeFieldValue(r.value)}`;
}

function compareFieldRequirements(a: FieldRequirement, b: FieldRequirement): number {
  return (
    compareStrings(a.field, b.field) ||
    (a.operator === b.operator ? 0 : a.operator === "Equals" ? -1 : 1) ||
    compareStrings(a.value, b.value)
  );
}

class FieldSelectorImpl implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  readonly #fields: readonly string[];
  readonly #values: readonly string[];
  readonly #equals: readonly boolean[];
  readonly #string: string;

  constructor(requirements: FieldRequirement[]) {
    const sorted = requirements.map((r) => Object.freeze({ ...r })).sort(compareFieldRequirements);
    this.requirements = Object.freeze(sorted);
    this.empty = sorted.length === 0;
    this.#fields = sorted.map((r) => r.field);
    this.#values = sorted.map((r) => r.value);
    this.#equals = sorted.map((r) => r.operator === "Equals");
    this.#string = sorted.map(fieldRequirementToString).join(",");
  }

  matches(get: (path: string) => string | undefined): boolean {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const actual = get(fields[i]!) ?? "";
      if ((actual === this.#values[i]) !== this.#equals[i]) return false;
    }
    return true;
  }

  toString(): string {
    return this.#string;
  }
}

/**
 * Parses the field selector syntax of k8s.io/apimachinery/pkg/fields: comma-separated (AND) terms
 * `path=value`, `path==value` or `path!=value`. In values `\\`, `\,` and `\=` escape those
 * characters (an unescaped `=` or any other escape is an error); whitespace around paths and values
 * is ignored, and empty terms are skipped. When `allowed` is given, only those field paths are
 * accepted (as each Kubernetes resource supports only some fields). The empty string gives the
 * selector that matches everything.
 * Throws SelectorParseError naming the problem (and an unsupported field) with its 0-based position.
 */
export function parseFieldSelector(text: string, allowed?: readonly string[]): FieldSelector {
  const fail = (reason: string, pos: number): never => {
    throw new SelectorParseError("field", text, reason, pos);
  };
  const requirements: FieldRequirement[] = [];
  let start = 0;
  while (start <= text.length) {
    // Find the end of this term (an unescaped comma) and its first unescaped operator.
    let end = start;
    let opPos = -1;
    let opLen = 0;
    let operator: FieldOperator = "Equals";
    while (end < text.length && text[end] !== ",") {
      const c = text[end]!;
      if (c === "\\") {
        end += 2;
        continue;
      }
      if (opPos < 0 && (c === "=" || (c === "!" && text[end + 1] === "="))) {
        opPos = end;
        operator = c === "!" ? "NotEquals" : "Equals";
        opLen = c === "!" || text[end + 1] === "=" ? 2 : 1;
        end += opLen;
        continue;
      }
      end++;
    }
    if (end > text.length) end = text.length;
    const term = text.slice(start, end);
    if (term.trim() !== "") {
      if (opPos < 0) {
        fail(`expected "=", "==" or "!=" in ${JSON.stringify(term.trim())}`, start + term.length - term.trimStart().length);
      }
      const rawField = text.slice(start, opPos);
      const field = rawField.trim();
      const fieldPos = start + rawField.length - rawField.trimStart().length;
      if (field === "") fail("missing field name", opPos);
      if (!FIELD_PATH_RE.test(field)) fail(`invalid field path ${JSON.stringify(field)}`, fieldPos);
      if (allowed !== undefined && !allowed.includes(field)) {
        fail(
          `field ${JSON.stringify(field)} is not supported (supported: ${allowed.length === 0 ? "none" : allowed.join(", ")})`,
          fieldPos,
        );
      }
      const rawValue = text.slice(opPos + opLen, end);
      const valuePos = opPos + opLen + rawValue.length - rawValue.trimStart().length;
      const valueText = rawValue.trim();
      let value = "";
      for (let i = 0; i < valueText.length; i++) {
        const c = valueText[i]!;
        if (c === "\\") {
          const e = valueText[i + 1];
          if (e !== "\\" && e !== "," && e !== "=") {
            fail(
              e === undefined
                ? "unfinished escape at end of value"
                : `invalid escape sequence "\\${e}" in value (only \\\\, \\, and \\= are allowed)`,
              valuePos + i,
            );
          }
          value += e;
          i++;
        } else if (c === "=") {
          fail('unescaped "=" in value (write "\\=")', valuePos + i);
        } else {
          value += c;
        }
      }
      requirements.push({ field, operator, value });
    }
    start = end + 1;
  }
  return new FieldSelectorImpl(requirements);
}
