import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { describeLessonMemoryConformance } from "@lessonloop/core/conformance";
import { inject } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

describeLessonMemoryConformance({
  name: "InMemoryLessonMemory",
  createMemory: async () => ({ memory: new InMemoryLessonMemory({ embedder, freshnessMs: 0 }) }),
  openAnother: async (memory) => new InMemoryLessonMemory({ embedder, sharing: memory as InMemoryLessonMemory, freshnessMs: 0 }),
});

describeLessonMemoryConformance({
  name: "ChromaLessonMemory (real server)",
  createMemory: async () => ({
    memory: await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("conformance"), embedder, freshnessMs: 0 }),
  }),
  openAnother: async (memory) =>
    ChromaLessonMemory.open({ url: inject("chromaUrl"), name: (memory as ChromaLessonMemory).collections.lessons.replace(/-lessons$/, ""), embedder, freshnessMs: 0 }),
});
