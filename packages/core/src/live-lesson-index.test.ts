// The live index against the in-memory backend's own search; the same property on a real Chroma server is @lessonloop/chroma's live-index.int.test.ts.
import { describeLiveIndexProperty } from "./conformance/index.js";
import { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
import { createLexicalEmbedder } from "./text/lexical-embedder.js";

const embedder = createLexicalEmbedder();

describeLiveIndexProperty({
  name: "InMemoryLessonMemory",
  createMemories: async () => {
    const reference = new InMemoryLessonMemory({ embedder, freshnessMs: 0 });
    const open = (liveIndexLessons = 0) => new InMemoryLessonMemory({ embedder, sharing: reference, freshnessMs: 0, liveIndexLessons });
    return { indexed: open(10_000), reference, writers: [open(), open()] };
  },
  runs: 60,
  maxSteps: 25,
});
