import { Embeddings } from "@langchain/core/embeddings";
import { LessonloopError } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { fromLangChainEmbeddings } from "./langchain-embedder.js";
import { rejectionOf } from "@lessonloop/core/testing";

/** A tiny LangChain embeddings whose answers a test scripts; it records what it was asked. */
class ScriptedEmbeddings extends Embeddings {
  readonly calls: string[][] = [];
  constructor(private readonly answer: (texts: string[]) => unknown[]) {
    super({});
  }
  override async embedDocuments(documents: string[]): Promise<number[][]> {
    this.calls.push(documents);
    return this.answer(documents) as number[][];
  }
  override async embedQuery(document: string): Promise<number[]> {
    this.calls.push([document]);
    return this.answer([document])[0] as number[];
  }
}

const byLength = (texts: string[]) => texts.map((text) => [text.length, 1, 0]);


describe("fromLangChainEmbeddings", () => {
  it("passes texts through and returns the model's vectors", async () => {
    const embeddings = new ScriptedEmbeddings(byLength);
    const embedder = fromLangChainEmbeddings({ embeddings, name: "scripted:v1", dimensions: 3 });
    expect(embedder.name).toBe("scripted:v1");
    expect(embedder.dimensions).toBe(3);
    expect(await embedder.embedDocuments(["ab", "abcd"])).toEqual([
      [2, 1, 0],
      [4, 1, 0],
    ]);
    expect(await embedder.embedQuery("abc")).toEqual([3, 1, 0]);
    expect(embeddings.calls).toEqual([["ab", "abcd"], ["abc"]]);
  });

  it("does not call the model for no texts", async () => {
    const embeddings = new ScriptedEmbeddings(byLength);
    expect(await fromLangChainEmbeddings({ embeddings, name: "scripted:v1" }).embedDocuments([])).toEqual([]);
    expect(embeddings.calls).toEqual([]);
  });

  it("learns the dimensions from the first answer when not given", async () => {
    const embedder = fromLangChainEmbeddings({ embeddings: new ScriptedEmbeddings(byLength), name: "scripted:v1" });
    expect(LessonloopError.isInstance(await rejectionOf(async () => embedder.dimensions), "invalid_input")).toBe(true);
    await embedder.embedQuery("x");
    expect(embedder.dimensions).toBe(3);
  });

  it("accepts typed arrays and returns plain arrays", async () => {
    const embedder = fromLangChainEmbeddings({
      embeddings: new ScriptedEmbeddings((texts) => texts.map(() => new Float32Array([0.5, 0.25]))),
      name: "scripted:f32",
    });
    const [vector] = await embedder.embedDocuments(["x"]);
    expect(Array.isArray(vector)).toBe(true);
    expect(vector).toEqual([0.5, 0.25]);
  });

  const bad: [string, (texts: string[]) => unknown[], RegExp][] = [
    ["too few vectors", (texts) => texts.slice(1).map(() => [1, 2, 3]), /1 vectors for 2 texts/],
    ["a vector of the wrong length", (texts) => texts.map((_, i) => (i === 1 ? [1, 2] : [1, 2, 3])), /2 numbers at position 1, expected 3/],
    ["NaN", (texts) => texts.map(() => [1, Number.NaN, 3]), /NaN at position 1/],
    ["Infinity", (texts) => texts.map(() => [1, 2, Number.POSITIVE_INFINITY]), /Infinity at position 2/],
    ["a string inside a vector", (texts) => texts.map(() => [1, "2", 3]), /2 at position 1/],
    ["null instead of a vector", (texts) => texts.map(() => null), /null instead of a vector/],
  ];
  for (const [label, answer, message] of bad) {
    it(`rejects ${label} with model_output_invalid`, async () => {
      const embedder = fromLangChainEmbeddings({ embeddings: new ScriptedEmbeddings(answer), name: "scripted:bad", dimensions: 3 });
      const error = await rejectionOf(() => embedder.embedDocuments(["a", "b"]));
      expect(LessonloopError.isInstance(error, "model_output_invalid")).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain("scripted:bad");
    });
  }

  it("rejects a query vector of the wrong length", async () => {
    const embedder = fromLangChainEmbeddings({ embeddings: new ScriptedEmbeddings(byLength), name: "scripted:v1", dimensions: 4 });
    expect(LessonloopError.isInstance(await rejectionOf(() => embedder.embedQuery("x")), "model_output_invalid")).toBe(true);
  });

  it("rejects an empty name or bad dimensions", () => {
    const embeddings = new ScriptedEmbeddings(byLength);
    expect(() => fromLangChainEmbeddings({ embeddings, name: " " })).toThrow(/name/);
    expect(() => fromLangChainEmbeddings({ embeddings, name: "x", dimensions: 0 })).toThrow(/dimensions/);
  });
});
