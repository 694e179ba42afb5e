import { describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { createManualClock } from "./manual-clock.js";

describe("createManualClock", () => {
  it("starts at 2026-01-01T00:00:00.000Z and stands still", () => {
    const clock = createManualClock();
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("starts at a given Date or ISO string", () => {
    expect(createManualClock("2030-05-06T07:08:09.010Z").now().toISOString()).toBe("2030-05-06T07:08:09.010Z");
    expect(createManualClock(new Date(0)).now().getTime()).toBe(0);
  });

  it("moves only when advanced or set", () => {
    const clock = createManualClock();
    clock.advance(1_500);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:01.500Z");
    clock.advance(24 * 60 * 60 * 1_000);
    expect(clock.now().toISOString()).toBe("2026-01-02T00:00:01.500Z");
    clock.set("2027-03-01T12:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2027-03-01T12:00:00.000Z");
    clock.set(new Date("2025-12-31T23:59:59.999Z"));
    expect(clock.now().toISOString()).toBe("2025-12-31T23:59:59.999Z");
  });

  it("hands out copies, so mutating a returned Date does not move the clock", () => {
    const clock = createManualClock();
    clock.now().setFullYear(1999);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("rejects invalid times and steps with a message saying what it expects", () => {
    expect(() => createManualClock("yesterday")).toThrow('valid Date or ISO-8601 string such as "2026-01-01T00:00:00.000Z"');
    const clock = createManualClock();
    expect(() => clock.set(new Date(Number.NaN))).toThrow("ManualClock set must be a valid Date");
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow("finite number of milliseconds");
  });
});

describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
