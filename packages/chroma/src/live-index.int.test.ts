// The live-index property on a real Chroma server: the in-process index against Chroma's own search, on one stored memory
// written by two handles at once; a longer run on the in-memory backend is @lessonloop/core's live-lesson-index.test.ts.
import { createLexicalEmbedder } from "@lessonloop/core";
import { describeLiveIndexProperty } from "@lessonloop/core/conformance";
import { inject } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

describeLiveIndexProperty({
  name: "ChromaLessonMemory (real server)",
  createMemories: async () => {
    const name = uniqueCollectionName("live-index");
    const open = (liveIndexLessons = 0) => ChromaLessonMemory.open({ url: inject("chromaUrl"), name, embedder, freshnessMs: 0, liveIndexLessons });
    const reference = await open();
    return { indexed: await open(10_000), reference, writers: [await open(), await open()] };
  },
  runs: 6,
  maxSteps: 10,
  // Chroma computes distances in float32.
  scoreTolerance: 1e-4,
  timeoutMs: 300_000,
});
