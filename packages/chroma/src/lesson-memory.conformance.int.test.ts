import { createLexicalEmbedder } from "@lessonloop/core";
import { describeLessonMemoryConformance } from "@lessonloop/core/conformance";
import { inject } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

// The in-memory memory runs the same suite without a server, in @lessonloop/core's store-conformance.test.ts.
describeLessonMemoryConformance({
  name: "ChromaLessonMemory (real server)",
  createMemory: async () => ({
    memory: await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("conformance"), embedder, freshnessMs: 0 }),
  }),
  openAnother: async (memory) =>
    ChromaLessonMemory.open({ url: inject("chromaUrl"), name: (memory as ChromaLessonMemory).collections.lessons.replace(/-lessons$/, ""), embedder, freshnessMs: 0 }),
});
