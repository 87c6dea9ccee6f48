// Test helper for selector tests: asserts a SelectorParseError and its message.
import assert from "node:assert/strict";
import { SelectorParseError } from "./selector-error.js";

/** Asserts that `fn` throws a SelectorParseError whose message contains every fragment. */
export function assertSelectorError(fn: () => unknown, ...fragments: string[]): SelectorParseError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SelectorParseError, `expected SelectorParseError, got ${String(caught)}`);
  assert.equal(caught.code, "SELECTOR_INVALID");
  assert.equal(caught.name, "SelectorParseError");
  for (const f of fragments) assert.ok(caught.message.includes(f), `${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`);
  return caught;
}
