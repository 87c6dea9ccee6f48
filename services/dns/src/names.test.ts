// Unit tests of the name helpers: reverse names and IP-derived labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dashedIp, reverseName } from "./names.js";

test("reverse names for IPv4 and IPv6, and IP-derived labels", () => {
  assert.equal(reverseName("10.96.0.10"), "10.0.96.10.in-addr.arpa");
  assert.equal(reverseName("2001:db8::1"), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  assert.equal(reverseName("not-an-ip"), undefined);
  assert.equal(dashedIp("10.1.0.5"), "10-1-0-5");
});
