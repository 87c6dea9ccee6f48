// Unit tests for Kubernetes resource quantities: grammar, exact values, rounding, arithmetic and canonical strings.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Quantity,
  QuantityParseError,
  bytes,
  cpuMillis,
  parseQuantity,
  quantityFromBytes,
  quantityFromMillis,
} from "./quantity.js";

const nanos = (text: string): bigint => parseQuantity(text).nanos;

test("every decimal SI suffix scales by its power of ten", () => {
  const cases: [string, bigint][] = [
    ["1n", 1n],
    ["1u", 1_000n],
    ["1m", 1_000_000n],
    ["1", 1_000_000_000n],
    ["1k", 10n ** 12n],
    ["1M", 10n ** 15n],
    ["1G", 10n ** 18n],
    ["1T", 10n ** 21n],
    ["1P", 10n ** 24n],
    ["1E", 10n ** 27n],
  ];
  for (const [text, expected] of cases) {
    assert.equal(nanos(text), expected, text);
    assert.equal(parseQuantity(text).format, "DecimalSI", text);
  }
});

test("every binary SI suffix scales by its power of 1024", () => {
  const cases: [string, bigint][] = [
    ["1Ki", 2n ** 10n],
    ["1Mi", 2n ** 20n],
    ["1Gi", 2n ** 30n],
    ["1Ti", 2n ** 40n],
    ["1Pi", 2n ** 50n],
    ["1Ei", 2n ** 60n],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseQuantity(text).value(), expected, text);
    assert.equal(parseQuantity(text).format, "BinarySI", text);
  }
});

test("8Ei and beyond are represented exactly rather than overflowing", () => {
  assert.equal(parseQuantity("8Ei").value(), 2n ** 63n);
  assert.equal(parseQuantity("8Ei").toString(), "8Ei");
  assert.equal(parseQuantity("9Ei").toString(), "9Ei");
  assert.equal(parseQuantity("9223372036854775807").value(), 9223372036854775807n);
});

test("decimal exponents scale by their power of ten in either case and with a sign", () => {
  assert.equal(nanos("1e3"), 10n ** 12n);
  assert.equal(nanos("1E6"), 10n ** 15n);
  assert.equal(nanos("1e+3"), 10n ** 12n);
  assert.equal(nanos("1e-2"), 10n ** 7n);
  assert.equal(nanos("1E-3"), 10n ** 6n);
  assert.equal(nanos("1.5e3"), 1500n * 10n ** 9n);
  assert.equal(nanos("1e0"), 10n ** 9n);
  assert.equal(parseQuantity("1e3").format, "DecimalExponent");
  // A lone E is the exa suffix, not an exponent.
  assert.equal(parseQuantity("2E").format, "DecimalSI");
});

test("decimals are exact, including leading and trailing points", () => {
  assert.equal(nanos("0.5"), 500_000_000n);
  assert.equal(nanos(".5"), 500_000_000n);
  assert.equal(nanos("1."), 1_000_000_000n);
  assert.equal(nanos("1.5Gi"), 1536n * 2n ** 20n * 10n ** 9n);
  assert.equal(nanos("0.001"), 1_000_000n);
  assert.equal(nanos("007"), 7_000_000_000n);
  assert.equal(parseQuantity("0.1").add(parseQuantity("0.2")).cmp(parseQuantity("0.3")), 0);
  assert.equal(nanos("12345678901234567890.123456789"), 12345678901234567890123456789n);
});

test("negative and explicitly positive values parse", () => {
  assert.equal(nanos("-1"), -1_000_000_000n);
  assert.equal(nanos("-500m"), -500_000_000n);
  assert.equal(nanos("-1Ki"), -1024_000_000_000n);
  assert.equal(nanos("+2k"), 2_000_000_000_000n);
  assert.equal(parseQuantity("-1.5Gi").toString(), "-1536Mi");
  assert.equal(parseQuantity("-0").isZero(), true);
});

test("zero in any form is zero and prints as 0", () => {
  for (const text of ["0", "00", "0.0", "0n", "0m", "0Ki", "0Mi", "0E", "0Ei", "0e9", "-0", "+0"]) {
    const q = parseQuantity(text);
    assert.equal(q.isZero(), true, text);
    assert.equal(q.toString(), "0", text);
  }
  assert.equal(parseQuantity("1m").isZero(), false);
});

test("precision below a nano rounds up in magnitude to the next nano", () => {
  assert.equal(nanos("3.001n"), 4n);
  assert.equal(nanos("1.1E-9"), 2n);
  assert.equal(nanos("0.0000000001"), 1n);
  assert.equal(nanos("0.0000000005"), 1n);
  assert.equal(nanos("0.9n"), 1n);
  assert.equal(nanos("0.00000012345"), 124n);
  assert.equal(nanos("-0.00000012345"), -124n);
  assert.equal(nanos("1e-1000000000000"), 1n);
  assert.equal(parseQuantity("0.00000012345").toString(), "124n");
});

test("milliValue rounds up like Kubernetes' MilliValue", () => {
  assert.equal(parseQuantity("1").milliValue(), 1000n);
  assert.equal(parseQuantity("250m").milliValue(), 250n);
  assert.equal(parseQuantity("0.1").milliValue(), 100n);
  assert.equal(parseQuantity("1n").milliValue(), 1n);
  assert.equal(parseQuantity("1001u").milliValue(), 2n);
  assert.equal(parseQuantity("1.0001").milliValue(), 1001n);
  assert.equal(parseQuantity("-1001u").milliValue(), -2n);
  assert.equal(parseQuantity("1Ki").milliValue(), 1_024_000n);
});

test("value rounds up to an integer like Kubernetes' Value", () => {
  assert.equal(parseQuantity("1500m").value(), 2n);
  assert.equal(parseQuantity("1m").value(), 1n);
  assert.equal(parseQuantity("2000m").value(), 2n);
  assert.equal(parseQuantity("0.5Ki").value(), 512n);
  assert.equal(parseQuantity("-1500m").value(), -2n);
  assert.equal(parseQuantity("0").value(), 0n);
});

test("cmp orders quantities across formats", () => {
  assert.equal(parseQuantity("1Gi").cmp(parseQuantity("1G")), 1);
  assert.equal(parseQuantity("1G").cmp(parseQuantity("1Gi")), -1);
  assert.equal(parseQuantity("1000m").cmp(parseQuantity("1")), 0);
  assert.equal(parseQuantity("1e3").cmp(parseQuantity("1k")), 0);
  assert.equal(parseQuantity("1Ki").cmp(parseQuantity("1024")), 0);
  assert.equal(parseQuantity("-1").cmp(parseQuantity("1n")), -1);
});

test("add and sub are exact and keep the receiver's format unless it is zero", () => {
  const sum = parseQuantity("1Gi").add(parseQuantity("512Mi"));
  assert.equal(sum.toString(), "1536Mi");
  assert.equal(sum.format, "BinarySI");
  assert.equal(parseQuantity("1").sub(parseQuantity("250m")).toString(), "750m");
  assert.equal(parseQuantity("100m").sub(parseQuantity("200m")).toString(), "-100m");
  assert.equal(parseQuantity("0").add(parseQuantity("1Ki")).format, "BinarySI");
  assert.equal(parseQuantity("1k").add(parseQuantity("1Ki")).toString(), "2024");
  const a = parseQuantity("1");
  a.add(parseQuantity("1"));
  assert.equal(a.toString(), "1", "operands are not mutated");
});

test("toString gives the canonical Kubernetes form", () => {
  // Pairs of (input, canonical) drawn from Kubernetes' TestQuantityString and TestQuantityParse.
  const cases: [string, string][] = [
    ["1Gi", "1Gi"],
    ["1024Mi", "1Gi"],
    ["300Mi", "300Mi"],
    ["307200Ki", "300Mi"],
    ["6Ki", "6Ki"],
    ["1001Gi", "1001Gi"],
    ["1025024Mi", "1001Gi"],
    ["1024Gi", "1Ti"],
    ["0.5Ki", "512"],
    ["1.5Ki", "1536"],
    ["1.0009765625Ki", "1025"],
    ["0.1Ki", "102400m"],
    ["1536Mi", "1536Mi"],
    ["1.5Gi", "1536Mi"],
    ["1000m", "1"],
    ["5000m", "5"],
    ["0.5", "500m"],
    ["1.5", "1500m"],
    ["1G", "1G"],
    ["1000M", "1G"],
    ["0.001T", "1G"],
    ["1000000000", "1G"],
    ["1m", "1m"],
    ["1000u", "1m"],
    ["80m", "80m"],
    ["1.08", "1080m"],
    ["1080000000n", "1080m"],
    ["100M", "100M"],
    ["300M", "300M"],
    ["1T", "1T"],
    ["1234567M", "1234567M"],
    ["3k", "3k"],
    ["1n", "1n"],
    ["80n", "80n"],
    ["1080n", "1080n"],
    ["1080u", "1080u"],
    ["1e9", "1e9"],
    [".001e12", "1e9"],
    ["1e-3", "1e-3"],
    ["0.001e0", "1e-3"],
    ["1000e-12", "1e-9"],
    ["80e-3", "80e-3"],
    ["300e6", "300e6"],
    ["1e12", "1e12"],
    ["3e3", "3e3"],
    ["1E3", "1e3"],
    ["100e0", "100"],
    ["12E", "12E"],
    ["1000E", "1000E"],
    ["+1Ki", "1Ki"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(parseQuantity(input).toString(), expected, input);
    assert.equal(parseQuantity(expected).cmp(parseQuantity(input)), 0, `${expected} round-trips ${input}`);
  }
  assert.equal(JSON.stringify({ cpu: parseQuantity("0.5") }), '{"cpu":"500m"}');
});

test("a binary quantity below one becomes decimal", () => {
  assert.equal(parseQuantity("0.0001Ki").format, "DecimalSI");
  assert.equal(parseQuantity("0.0001Ki").toString(), "102400u");
});

test("invalid text is refused with a QuantityParseError naming the text and the grammar", () => {
  const invalid = [
    "",
    " 1",
    "1 ",
    "1 Gi",
    "1.5.5",
    "1.1.M",
    "1+1.0M",
    "Gi",
    "1gi",
    "1K",
    "1ki",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    "1e",
    "1ee3",
    "1e3e3",
    "1e3.5",
    ".",
    "-",
    "+",
    "1Mii",
    "1.5GiB",
    "--1",
    "0x10",
  ];
  for (const text of invalid) {
    assert.throws(
      () => parseQuantity(text),
      (err: unknown) => {
        assert.ok(err instanceof QuantityParseError, text);
        assert.equal(err.code, "QUANTITY_INVALID");
        assert.equal(err.name, "QuantityParseError");
        assert.equal(err.text, text);
        assert.ok(err.message.includes(JSON.stringify(text)), err.message);
        assert.ok(
          err.message.includes("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
          err.message,
        );
        return true;
      },
      text,
    );
    assert.throws(() => cpuMillis(text), QuantityParseError, text);
    assert.throws(() => bytes(text), QuantityParseError, text);
  }
});

test("absurdly large magnitudes are refused instead of allocating", () => {
  assert.throws(() => parseQuantity("1e100"), QuantityParseError);
  assert.throws(() => parseQuantity("1e99999999999999999999"), QuantityParseError);
  assert.equal(parseQuantity("1e40").toString(), "10e39");
  assert.equal(parseQuantity("1e24").toString(), "1e24");
  assert.equal(parseQuantity("1000000E").toString(), "1000000E");
});

test("cpuMillis and bytes agree with milliValue and value", () => {
  const texts = [
    "0",
    "1",
    "100m",
    "250m",
    "1.5",
    "0.1",
    "1n",
    "1001u",
    "-1001u",
    "1Ki",
    "1.5Gi",
    "0.3Mi",
    "2Ei",
    "1e3",
    "1e-2",
    "1.23e-30",
    "12345678901234567",
    "1234567.8901234567",
    "8Pi",
    "0.0000000001",
    "-1500m",
  ];
  for (const text of texts) {
    const q = parseQuantity(text);
    if (Number.isSafeInteger(Number(q.milliValue()))) assert.equal(cpuMillis(text), Number(q.milliValue()), text);
    if (Number.isSafeInteger(Number(q.value()))) assert.equal(bytes(text), Number(q.value()), text);
  }
  assert.equal(cpuMillis("500m"), 500);
  assert.equal(cpuMillis("2"), 2000);
  assert.equal(bytes("1Gi"), 1073741824);
  assert.equal(bytes("1.5"), 2);
});

test("cpuMillis and bytes throw when the result is not a safe integer", () => {
  assert.throws(() => bytes("8Ei"), RangeError);
  assert.throws(() => cpuMillis("10P"), RangeError);
  assert.equal(bytes("4Pi"), 2 ** 52);
  assert.throws(() => bytes("8Pi"), RangeError);
});

test("quantityFromMillis and quantityFromBytes build canonical quantities", () => {
  assert.equal(quantityFromMillis(1500).toString(), "1500m");
  assert.equal(quantityFromMillis(2000).toString(), "2");
  assert.equal(quantityFromMillis(500n).cmp(parseQuantity("0.5")), 0);
  assert.equal(quantityFromBytes(2 ** 30).toString(), "1Gi");
  assert.equal(quantityFromBytes(1536 * 2 ** 20).toString(), "1536Mi");
  assert.equal(quantityFromBytes(1000).toString(), "1k");
  assert.equal(quantityFromBytes(1023).toString(), "1023");
  assert.equal(quantityFromBytes(10 ** 9, "DecimalSI").toString(), "1G");
  assert.throws(() => quantityFromMillis(1.5), RangeError);
  assert.throws(() => quantityFromBytes(2 ** 60), RangeError);
  assert.equal(quantityFromBytes(2n ** 63n).toString(), "8Ei");
});

test("a Quantity built from nanos prints in its format", () => {
  assert.equal(new Quantity(1_500_000_000n, "DecimalExponent").toString(), "1500e-3");
  assert.equal(new Quantity(2048n * 10n ** 9n, "BinarySI").toString(), "2Ki");
});
