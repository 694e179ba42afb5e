import { cosineSimilarity } from "../embedder.js";
import { LessonloopError } from "../errors.js";
import { describe, expect, it } from "vitest";
import { createLexicalEmbedder } from "./lexical-embedder.js";

const norm = (vector: readonly number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe("createLexicalEmbedder", () => {
  const embedder = createLexicalEmbedder();

  it("names its space after version and dimensions", () => {
    expect(embedder.name).toBe("lexical-v1-1024");
    expect(embedder.dimensions).toBe(1024);
    expect(createLexicalEmbedder({ dimensions: 64 }).name).toBe("lexical-v1-64");
    // Any other setting is a different space, so a different name.
    expect(createLexicalEmbedder({ bigramWeight: 0 }).name).not.toBe("lexical-v1-1024");
  });

  it("is deterministic across calls and instances", async () => {
    const text = "Refund the order when the parcel arrived damaged";
    const [a] = await embedder.embedDocuments([text]);
    const b = await embedder.embedQuery(text);
    const c = await createLexicalEmbedder().embedQuery(text);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
  });

  it("returns unit vectors of the configured length, never all zeros", async () => {
    for (const text of ["hello world", "", "   ", "!!!", "ÜBER straße", "a"]) {
      const vector = await embedder.embedQuery(text);
      expect(vector).toHaveLength(1024);
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(norm(vector)).toBeCloseTo(1, 6);
    }
    expect(await createLexicalEmbedder({ dimensions: 32 }).embedQuery("x")).toHaveLength(32);
  });

  it("puts similar texts closer than unrelated ones", async () => {
    const [query, near, far] = await embedder.embedDocuments([
      "customer asks for a refund of a damaged parcel",
      "refund request: the parcel arrived damaged",
      "schedule a meeting with the marketing team next tuesday",
    ]);
    expect(cosineSimilarity(query!, near!)).toBeGreaterThan(cosineSimilarity(query!, far!) + 0.2);
  });

  it("matches word variants through character n-grams", async () => {
    const [shipping, shipped, weather] = await embedder.embedDocuments(["shipping delayed", "shipped late", "sunny weather"]);
    expect(cosineSimilarity(shipping!, shipped!)).toBeGreaterThan(cosineSimilarity(shipping!, weather!));
  });

  it("ignores case and accents", async () => {
    expect(await embedder.embedQuery("Café RÉSUMÉ")).toEqual(await embedder.embedQuery("cafe resume"));
  });

  it("rejects bad settings with a typed error", () => {
    for (const params of [{ dimensions: 0 }, { dimensions: 3.5 }, { charNgramSizes: [0] }, { charWeight: -1 }]) {
      let caught: unknown;
      try {
        createLexicalEmbedder(params);
      } catch (error) {
        caught = error;
      }
      expect(LessonloopError.isInstance(caught, "invalid_input")).toBe(true);
    }
  });
});
