// The scoped-undo property on the in-memory memory; a smaller run on Chroma is @lessonloop/chroma's scoped-undo.int.test.ts.
import { describeScopedUndoProperty } from "./conformance/index.js";
import { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
import { createLexicalEmbedder } from "./text/lexical-embedder.js";

const embedder = createLexicalEmbedder();

describeScopedUndoProperty({
  name: "InMemoryLessonMemory",
  createMemory: async () => ({ memory: new InMemoryLessonMemory({ embedder }) }),
  runs: 150,
  maxSteps: 40,
});
