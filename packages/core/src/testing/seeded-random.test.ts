import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./seeded-random.js";

function take(count: number, produce: () => number): number[] {
  return Array.from({ length: count }, produce);
}

describe("createSeededRandom", () => {
  it("is mulberry32: seed 42 gives the published sequence", () => {
    const random = createSeededRandom(42);
    expect(take(3, random.next)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it("repeats the same sequence for the same seed and differs for another seed", () => {
    const first = createSeededRandom(7);
    const second = createSeededRandom(7);
    const other = createSeededRandom(8);
    const sequence = take(50, first.next);
    expect(take(50, second.next)).toEqual(sequence);
    expect(take(50, other.next)).not.toEqual(sequence);
  });

  it("keeps next() in [0, 1) and spreads it evenly", () => {
    const values = take(20_000, createSeededRandom(1).next);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it("int(min, max) includes both ends and nothing outside", () => {
    const random = createSeededRandom(3);
    const rolls = take(5_000, () => random.int(1, 6));
    expect(new Set(rolls)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(random.int(5, 5)).toBe(5);
    expect(() => random.int(6, 1)).toThrow("min <= max");
    expect(() => random.int(0.5, 2)).toThrow("whole numbers");
  });

  it("pick returns elements of the array, all of them over time", () => {
    const random = createSeededRandom(11);
    const colours = ["red", "green", "blue"] as const;
    const picks = new Set(take(300, () => colours.indexOf(random.pick(colours))));
    expect(picks).toEqual(new Set([0, 1, 2]));
    expect(() => random.pick([])).toThrow("non-empty array");
  });

  it("shuffle returns a permutation in a new array and leaves the input alone", () => {
    const items = Array.from({ length: 20 }, (_, index) => index);
    const shuffled = createSeededRandom(5).shuffle(items);
    expect(shuffled).not.toBe(items);
    expect(items).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(createSeededRandom(5).shuffle(items)).toEqual(shuffled);
  });

  it("chance(p) is never for 0, always for 1 and about p in between", () => {
    const random = createSeededRandom(9);
    expect(take(1_000, () => Number(random.chance(0))).every((hit) => hit === 0)).toBe(true);
    expect(take(1_000, () => Number(random.chance(1))).every((hit) => hit === 1)).toBe(true);
    const hits = take(20_000, () => Number(random.chance(0.3))).reduce((sum, hit) => sum + hit, 0);
    expect(hits / 20_000).toBeGreaterThan(0.28);
    expect(hits / 20_000).toBeLessThan(0.32);
    expect(() => random.chance(1.5)).toThrow("between 0 and 1");
  });

  it("rejects a seed that is not a finite number", () => {
    expect(() => createSeededRandom(Number.NaN)).toThrow("finite number");
  });
});
