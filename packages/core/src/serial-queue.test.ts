import { describe, expect, it } from "vitest";
import { createSerialQueue } from "./serial-queue.js";

describe("createSerialQueue", () => {
  it("runs tasks one at a time in order, and a failure neither stalls nor leaks into the next", async () => {
    const serial = createSerialQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    const results = await Promise.allSettled([serial(task("a")), serial(task("b", true)), serial(task("c"))]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(results).toEqual([
      { status: "fulfilled", value: "a" },
      { status: "rejected", reason: new Error("b failed") },
      { status: "fulfilled", value: "c" },
    ]);
  });
});
