// The in-memory stores against the same suites their Chroma twins pass (`*.conformance.int.test.ts` in @lessonloop/chroma).
import {
  describeEdgeCaseStoreConformance,
  describeLessonMemoryConformance,
  describeOutcomeLedgerConformance,
  describePendingLessonStoreConformance,
  describeVerdictStoreConformance,
} from "./conformance/index.js";
import { InMemoryEdgeCaseStore } from "./in-memory-edge-case-store.js";
import { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
import { InMemoryOutcomeLedger } from "./outcome-ledger.js";
import { InMemoryPendingLessonStore } from "./pending-lesson-store.js";
import { createLexicalEmbedder } from "./text/lexical-embedder.js";
import { InMemoryVerdictStore } from "./verdict-store.js";

const embedder = createLexicalEmbedder();

describeLessonMemoryConformance({
  name: "InMemoryLessonMemory",
  createMemory: async () => ({ memory: new InMemoryLessonMemory({ embedder, freshnessMs: 0 }) }),
  openAnother: async (memory) => new InMemoryLessonMemory({ embedder, sharing: memory as InMemoryLessonMemory, freshnessMs: 0 }),
});

describeEdgeCaseStoreConformance({ name: "InMemoryEdgeCaseStore", createStore: async (caseEmbedder) => new InMemoryEdgeCaseStore({ embedder: caseEmbedder }) });
describeVerdictStoreConformance({ name: "InMemoryVerdictStore", createStore: async () => new InMemoryVerdictStore() });
describePendingLessonStoreConformance({ name: "InMemoryPendingLessonStore", createStore: async (clock) => new InMemoryPendingLessonStore({ clock }) });
describeOutcomeLedgerConformance({ name: "InMemoryOutcomeLedger", createLedger: async () => new InMemoryOutcomeLedger() });
