import { describe, expect, it } from "vitest";
import { objectionsIn } from "./objections.js";

describe("objectionsIn", () => {
  it("reads each sentence of a complaint as one objection, keeping quotes, dates and amounts whole", () => {
    expect(objectionsIn('Please keep replies formal and start with "Dear". Please write dates like 12.11.2026, as I asked before.')).toEqual([
      'Please keep replies formal and start with "Dear".',
      "Please write dates like 12.11.2026, as I asked before.",
    ]);
    expect(objectionsIn("Please ask me before placing any order above 150.50 EUR, I had to cancel this one.")).toEqual([
      "Please ask me before placing any order above 150.50 EUR, I had to cancel this one.",
    ]);
    expect(objectionsIn("Wrong! Why? fix it.")).toEqual(["Wrong!", "Why? fix it."]);
    expect(objectionsIn("  ")).toEqual([]);
  });

  it("keeps the sentences past the limit together in the last objection", () => {
    expect(objectionsIn("One. Two. Three. Four. Five.", 3)).toEqual(["One.", "Two.", "Three. Four. Five."]);
  });
});
