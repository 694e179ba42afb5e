// The scoped-undo property on a real Chroma server, fewer and shorter histories than the in-memory run in @lessonloop/core's scoped-undo.test.ts.
import { createLexicalEmbedder } from "@lessonloop/core";
import { describeScopedUndoProperty } from "@lessonloop/core/conformance";
import { inject } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();

describeScopedUndoProperty({
  name: "ChromaLessonMemory (real server)",
  createMemory: async () => ({
    memory: await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("scoped-undo"), embedder, freshnessMs: 0 }),
  }),
  runs: 8,
  maxSteps: 15,
  timeoutMs: 240_000,
});
