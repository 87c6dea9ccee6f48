// Unit tests of inventory reloading: a change is picked up, an invalid file is ignored and the last good inventory kept.
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createLogger } from "@kubeplane/service-kit";
import { waitFor } from "@kubeplane/testing";
import { Inventory } from "./inventory.js";

describe("Inventory", () => {
  const dir = mkdtempSync(join(tmpdir(), "ccm-inventory-"));
  const file = join(dir, "machines.yaml");
  const write = (text: string): void => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reloads on change, keeps the last good inventory when the file is invalid, and notifies listeners", async () => {
    write("machines: [{name: a}]\n");
    const inventory = new Inventory(file, createLogger("inventory-test", "fatal"), 50);
    await inventory.load();
    let changes = 0;
    inventory.onChange(() => changes++);
    const stop = new AbortController();
    const running = inventory.run(stop.signal);
    try {
      write("machines: [{name: a}, {name: b, zone: z}]\n");
      await waitFor(() => inventory.get("b")?.zone === "z", { message: "b to appear" });
      assert.equal(changes, 1);
      write("machines: [{name: a, addresses: [{type: Bogus, address: x}]}]\n");
      const refused = await waitFor(() => inventory.lastError, { message: "the invalid file to be refused" });
      assert.match(refused.message, /inventory\.machines\[0\]\.addresses\[0\]\.type: Unsupported value: "Bogus"/);
      assert.deepEqual(inventory.list().map((m) => m.name), ["a", "b"], "the last good inventory stays");
      write("machines: [{name: c}]\n");
      await waitFor(() => inventory.get("c"), { message: "c to appear" });
      assert.deepEqual(inventory.list().map((m) => m.name), ["c"]);
      assert.equal(changes, 2, "the invalid versions changed nothing");
    } finally {
      stop.abort();
      await running;
    }
  });

  it("refuses an invalid file at load", async () => {
    write("machines: [{name: a, shutdown: maybe}]\n");
    await assert.rejects(new Inventory(file, createLogger("inventory-test", "fatal")).load(), /inventory\.machines\[0\]\.shutdown/);
  });
});
