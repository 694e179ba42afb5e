import { InMemoryLessonMemory } from "@lessonloop/core";
import { describeLessonMemoryConformance } from "@lessonloop/core/conformance";
import { inject } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { createLexicalEmbedder } from "./lexical-embedder.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

describeLessonMemoryConformance({
  name: "InMemoryLessonMemory",
  createMemory: async () => ({ memory: new InMemoryLessonMemory({ embedder }) }),
});

describeLessonMemoryConformance({
  name: "ChromaLessonMemory (real server)",
  createMemory: async () => ({
    memory: await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("conformance"), embedder }),
  }),
});
