// Kubernetes resource quantities ("500m", "1Gi", "1e3"): the single parser, exact arithmetic and canonical formatting.
//
// Semantics follow k8s.io/apimachinery/pkg/api/resource with these documented differences:
// - Values are kept exactly as a bigint count of nano units (10^-9). Precision beyond nano is rounded up
//   (away from zero) exactly as Kubernetes does, but Kubernetes also saturates at 2^63-1; we do not ("9Ei"
//   stays "9Ei"). To keep parsing bounded, quantities whose magnitude would reach 10^51 are refused.
// - Kubernetes reads degenerate texts such as ".", "-" or "Gi" as zero; we require at least one digit.
//   "1." and ".5" are accepted, as in Kubernetes.
// - Kubernetes' fast path sometimes keeps the original text as the string form (so "+1Ki" or "01Ki" print
//   unchanged); toString() here always returns the canonical form ("1Ki").
// - Rounding of value()/milliValue() is away from zero for negative values, like Kubernetes' int64 path
//   (its big-decimal path rounds toward +infinity instead; the int64 path is the one used in practice).
// - Canonical DecimalSI/BinarySI output beyond the largest suffix ("E"/"Ei") keeps that suffix with a larger
//   number; Kubernetes never gets there because of its 2^63-1 cap.

/** How a quantity prints: binary suffixes (Ki..Ei), decimal suffixes (n..E), or a decimal exponent (e3). */
export type QuantityFormat = "BinarySI" | "DecimalSI" | "DecimalExponent";

const GRAMMAR = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/** Thrown for text that is not a Kubernetes quantity (or is absurdly large); `text` is the rejected input. */
export class QuantityParseError extends Error {
  readonly code = "QUANTITY_INVALID";
  readonly text: string;
  constructor(text: string, reason = `quantities must match the regular expression '${GRAMMAR}'`) {
    super(`invalid quantity ${JSON.stringify(text)}: ${reason}`);
    this.name = "QuantityParseError";
    this.text = text;
  }
}

const NANOS_PER_UNIT = 1_000_000_000n;
const NANOS_PER_MILLI = 1_000_000n;
/** Nano counts with more decimal digits than this are refused (magnitude >= 10^51 units). */
const MAX_NANO_DIGITS = 60;
/** Largest number of significant mantissa digits accumulated in a double (exact below 2^53). */
const MAX_FAST_DIGITS = 15;
const LOG10_2 = 0.30103;

const POW10_BIG: readonly bigint[] = Object.freeze(Array.from({ length: MAX_NANO_DIGITS + 1 }, (_, i) => 10n ** BigInt(i)));
function pow10Big(n: number): bigint {
  return POW10_BIG[n] ?? 10n ** BigInt(n);
}

const DECIMAL_SUFFIX_BY_EXPONENT: ReadonlyMap<number, string> = new Map([
  [-9, "n"],
  [-6, "u"],
  [-3, "m"],
  [0, ""],
  [3, "k"],
  [6, "M"],
  [9, "G"],
  [12, "T"],
  [15, "P"],
  [18, "E"],
]);
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;

// Scratch results of scan(). Parsing is synchronous, so module-level slots avoid allocating a record per
// parse on the scheduler's hot path; they are overwritten by every scan and never read across calls.
let sNegative = false;
let sMantissa = 0; // significant digits as a double; valid when sSignificant <= MAX_FAST_DIGITS
let sSignificant = 0; // digits from the first non-zero one on (0 means the value is zero)
let sIntStart = 0;
let sIntEnd = 0;
let sFracStart = 0;
let sFracEnd = 0;
let sExp10 = 0; // power of ten to apply to the integer mantissa (suffix exponent minus fraction digits)
let sExp2 = 0; // power of two to apply (binary suffixes)
let sFormat: QuantityFormat = "DecimalSI";

function decimalSuffixExponent(c: number): number | undefined {
  switch (c) {
    case 110 /* n */:
      return -9;
    case 117 /* u */:
      return -6;
    case 109 /* m */:
      return -3;
    case 107 /* k */:
      return 3;
    case 77 /* M */:
      return 6;
    case 71 /* G */:
      return 9;
    case 84 /* T */:
      return 12;
    case 80 /* P */:
      return 15;
    case 69 /* E */:
      return 18;
    default:
      return undefined;
  }
}

function binarySuffixExponent(c: number): number | undefined {
  switch (c) {
    case 75 /* K */:
      return 10;
    case 77 /* M */:
      return 20;
    case 71 /* G */:
      return 30;
    case 84 /* T */:
      return 40;
    case 80 /* P */:
      return 50;
    case 69 /* E */:
      return 60;
    default:
      return undefined;
  }
}

/** Scans `text` into the s* slots or throws QuantityParseError. Allocates nothing on success. */
function scan(text: string): void {
  const n = text.length;
  let i = 0;
  sNegative = false;
  if (n > 0) {
    const c = text.charCodeAt(0);
    if (c === 45 /* - */) {
      sNegative = true;
      i = 1;
    } else if (c === 43 /* + */) {
      i = 1;
    }
  }
  let mantissa = 0;
  let significant = 0;
  sIntStart = i;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    if (significant > 0 || d !== 0) {
      significant++;
      if (significant <= MAX_FAST_DIGITS) mantissa = mantissa * 10 + d;
    }
  }
  sIntEnd = i;
  sFracStart = i;
  sFracEnd = i;
  if (i < n && text.charCodeAt(i) === 46 /* . */) {
    i++;
    sFracStart = i;
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (significant > 0 || d !== 0) {
        significant++;
        if (significant <= MAX_FAST_DIGITS) mantissa = mantissa * 10 + d;
      }
    }
    sFracEnd = i;
  }
  if (sIntEnd === sIntStart && sFracEnd === sFracStart) throw new QuantityParseError(text);

  let exp10 = 0;
  let exp2 = 0;
  let format: QuantityFormat = "DecimalSI";
  const rest = n - i;
  if (rest === 1) {
    const e = decimalSuffixExponent(text.charCodeAt(i));
    if (e === undefined) throw new QuantityParseError(text);
    exp10 = e;
  } else if (rest === 2 && text.charCodeAt(i + 1) === 105 /* i */) {
    const e = binarySuffixExponent(text.charCodeAt(i));
    if (e === undefined) throw new QuantityParseError(text);
    exp2 = e;
    format = "BinarySI";
  } else if (rest > 1) {
    const c = text.charCodeAt(i);
    if (c !== 101 /* e */ && c !== 69 /* E */) throw new QuantityParseError(text);
    i++;
    let negativeExponent = false;
    const sign = text.charCodeAt(i);
    if (sign === 45 /* - */ || sign === 43 /* + */) {
      negativeExponent = sign === 45;
      i++;
    }
    if (i === n) throw new QuantityParseError(text);
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw new QuantityParseError(text);
      // Saturate: anything this large is refused (or rounds to one nano) later anyway.
      if (exp10 < 1e9) exp10 = exp10 * 10 + d;
    }
    if (negativeExponent) exp10 = -exp10;
    format = "DecimalExponent";
  }
  sMantissa = mantissa;
  sSignificant = significant;
  sExp10 = exp10 - (sFracEnd - sFracStart);
  sExp2 = exp2;
  sFormat = format;
}

/** Divides a non-negative bigint by `divisor`, rounding up. */
function ceilDiv(value: bigint, divisor: bigint): bigint {
  const q = value / divisor;
  return q * divisor === value ? q : q + 1n;
}

/** Rounds `nanos / divisor` away from zero, like Kubernetes' int64 scaling. */
function scaleDownAwayFromZero(nanos: bigint, divisor: bigint): bigint {
  return nanos < 0n ? -ceilDiv(-nanos, divisor) : ceilDiv(nanos, divisor);
}

/** A Kubernetes resource quantity: an exact, immutable count of nano units plus the format it prints in. */
export class Quantity {
  /** The value as an integer count of 10^-9 units (exact). */
  readonly nanos: bigint;
  /** The format toString() prints in (the parsed suffix's kind; see the file comment for adjustments). */
  readonly format: QuantityFormat;

  /** Wraps an exact nano count; prefer parseQuantity/quantityFromMillis/quantityFromBytes. */
  constructor(nanos: bigint, format: QuantityFormat) {
    this.nanos = nanos;
    this.format = format;
  }

  /** The value in thousandths (e.g. cpu millicores), rounded up in magnitude like Kubernetes' MilliValue(). */
  milliValue(): bigint {
    return scaleDownAwayFromZero(this.nanos, NANOS_PER_MILLI);
  }

  /** The value as an integer (e.g. bytes), rounded up in magnitude like Kubernetes' Value(). */
  value(): bigint {
    return scaleDownAwayFromZero(this.nanos, NANOS_PER_UNIT);
  }

  /** -1, 0 or 1 as this quantity is less than, equal to or greater than `other`, whatever their formats. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  /** This plus `other`, exactly; keeps this format unless this is zero (then `other`'s), like Kubernetes' Add. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** This minus `other`, exactly; keeps this format unless this is zero (then `other`'s), like Kubernetes' Sub. */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** True when the value is exactly zero. */
  isZero(): boolean {
    return this.nanos === 0n;
  }

  /**
   * The canonical Kubernetes form (CanonicalizeBytes): "0" for zero; BinarySI prints the largest binary
   * suffix that keeps an integer mantissa, falling back to DecimalSI when |value| < 1024 or the value is not
   * an integer; DecimalSI/DecimalExponent strip trailing zeros and use an exponent that is a multiple of 3
   * ("1500m", "1G", "80e-3"). Parsing the result gives back an equal quantity.
   */
  toString(): string {
    const nanos = this.nanos;
    if (nanos === 0n) return "0";
    let format = this.format;
    if (format === "BinarySI") {
      const abs = nanos < 0n ? -nanos : nanos;
      if (abs < 1024n * NANOS_PER_UNIT || abs % NANOS_PER_UNIT !== 0n) {
        format = "DecimalSI";
      } else {
        let amount = nanos / NANOS_PER_UNIT;
        let k = 0;
        while (k < BINARY_SUFFIXES.length - 1 && amount % 1024n === 0n) {
          amount /= 1024n;
          k++;
        }
        return `${amount}${BINARY_SUFFIXES[k] ?? ""}`;
      }
    }
    let amount = nanos;
    let exponent = -9;
    while (amount % 1000n === 0n) {
      amount /= 1000n;
      exponent += 3;
    }
    // Kubernetes strips every factor of ten, then multiplies back down to a multiple of 3; since nano is
    // already a multiple of 3, stripping whole thousands gives the same result.
    if (format === "DecimalExponent") return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
    if (exponent > 18) {
      amount *= pow10Big(exponent - 18);
      exponent = 18;
    }
    return `${amount}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ""}`;
  }

  /** The canonical string, so quantities serialise as Kubernetes does. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * Parses a Kubernetes quantity: optional sign, digits with an optional decimal point (at least one digit),
 * then one suffix: binary (Ki Mi Gi Ti Pi Ei), decimal (n u m "" k M G T P E) or a decimal exponent (e3,
 * E-2, e+6). Precision below 1n is rounded up in magnitude. Throws QuantityParseError for anything else
 * ("1 Gi", "1gi", "1K", "Gi", "1.5.5", "") and for magnitudes of 10^51 or more.
 */
export function parseQuantity(text: string): Quantity {
  scan(text);
  let format = sFormat;
  if (sSignificant === 0) return new Quantity(0n, format);

  const power = sExp10 + 9; // nanos = mantissa * 2^exp2 * 10^power
  const binaryDigits = Math.ceil(sExp2 * LOG10_2);
  if (sSignificant + power + binaryDigits > MAX_NANO_DIGITS) {
    throw new QuantityParseError(text, `magnitude must be below 10^${MAX_NANO_DIGITS - 9}`);
  }
  let nanos: bigint;
  if (power < 0 && -power > sSignificant + binaryDigits) {
    nanos = 1n; // non-zero but below one nano: Kubernetes rounds up to the smallest representable value
  } else {
    let mantissa =
      sSignificant <= MAX_FAST_DIGITS
        ? BigInt(sMantissa)
        : BigInt(text.slice(sIntStart, sIntEnd) + text.slice(sFracStart, sFracEnd));
    if (sExp2 !== 0) mantissa <<= BigInt(sExp2);
    nanos = power >= 0 ? mantissa * pow10Big(power) : ceilDiv(mantissa, pow10Big(-power));
  }
  if (format === "BinarySI" && nanos < NANOS_PER_UNIT) format = "DecimalSI";
  return new Quantity(sNegative ? -nanos : nanos, format);
}

const POW10_NUM: readonly number[] = Object.freeze(Array.from({ length: 23 }, (_, i) => 10 ** i));

/**
 * Number fast path for the scan in the s* slots: the value times 10^shift, rounded up in magnitude, or
 * undefined when doubles cannot compute it exactly (the caller then falls back to bigint).
 */
function fastScaled(shift: number): number | undefined {
  if (sSignificant === 0) return 0;
  if (sSignificant > MAX_FAST_DIGITS) return undefined;
  const base = sExp2 === 0 ? sMantissa : sMantissa * 2 ** sExp2;
  if (!Number.isSafeInteger(base)) return undefined;
  const k = sExp10 + shift;
  let result: number;
  if (k >= 0) {
    const factor = POW10_NUM[k];
    if (factor === undefined) return undefined;
    result = base * factor;
    if (!Number.isSafeInteger(result)) return undefined;
  } else {
    const divisor = POW10_NUM[-k];
    if (divisor === undefined) {
      result = 1;
    } else {
      const remainder = base % divisor;
      result = (base - remainder) / divisor + (remainder === 0 ? 0 : 1);
    }
  }
  return sNegative ? -result : result;
}

function toSafeNumber(value: bigint, text: string, unit: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`quantity ${JSON.stringify(text)} is too large in ${unit}`);
  return n;
}

/**
 * The quantity in `text` as millis (cpu millicores): same result as parseQuantity(text).milliValue(), as a
 * number, without allocating in the common case. Throws QuantityParseError for invalid text and RangeError
 * when the result is not a safe integer.
 */
export function cpuMillis(text: string): number {
  scan(text);
  return fastScaled(3) ?? toSafeNumber(parseQuantity(text).milliValue(), text, "millis");
}

/**
 * The quantity in `text` as whole units (bytes): same result as parseQuantity(text).value(), as a number,
 * without allocating in the common case. Throws QuantityParseError for invalid text and RangeError when the
 * result is not a safe integer.
 */
export function bytes(text: string): number {
  scan(text);
  return fastScaled(0) ?? toSafeNumber(parseQuantity(text).value(), text, "bytes");
}

function requireInteger(n: number | bigint): bigint {
  if (typeof n === "number" && !Number.isSafeInteger(n)) throw new RangeError(`${n} is not a safe integer`);
  return BigInt(n);
}

/** A quantity of `millis` thousandths (DecimalSI by default): quantityFromMillis(1500) prints "1500m". Throws RangeError for non-safe-integer numbers. */
export function quantityFromMillis(millis: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
  return new Quantity(requireInteger(millis) * NANOS_PER_MILLI, format);
}

/** A quantity of `count` whole units (bytes; BinarySI by default): quantityFromBytes(2 ** 30) prints "1Gi". Throws RangeError for non-safe-integer numbers. */
export function quantityFromBytes(count: number | bigint, format: QuantityFormat = "BinarySI"): Quantity {
  return new Quantity(requireInteger(count) * NANOS_PER_UNIT, format);
}
