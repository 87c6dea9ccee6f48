// What label and field selectors share: the error for an invalid selector and the order of their canonical strings.

/**
 * Thrown for any invalid selector. `kind` says which syntax, `input` is the selector text (undefined
 * for the object form), `reason` says what is wrong and `position` (0-based offset into `input`,
 * when known) where. The message combines them, e.g.
 * `invalid label selector "a in (b": missing ")" at position 7`.
 */
export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
  readonly code = "SELECTOR_INVALID";
  constructor(
    readonly kind: "label" | "field",
    readonly input: string | undefined,
    readonly reason: string,
    readonly position: number | undefined,
  ) {
    super(
      `invalid ${kind} selector${input === undefined ? "" : ` ${JSON.stringify(input)}`}: ${reason}` +
        (position === undefined ? "" : ` at position ${position}`),
    );
  }
}

/** Byte-wise string order (Go's `<` on strings), which both canonical forms sort by. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
