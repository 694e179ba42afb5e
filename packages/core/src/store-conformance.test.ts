// The in-memory stores against the same suites their Chroma twins pass (`*.conformance.int.test.ts` in @lessonloop/chroma).
import { describeEdgeCaseStoreConformance, describePendingLessonStoreConformance, describeVerdictStoreConformance } from "./conformance/index.js";
import { InMemoryEdgeCaseStore } from "./in-memory-edge-case-store.js";
import { InMemoryPendingLessonStore } from "./pending-lesson-store.js";
import { InMemoryVerdictStore } from "./verdict-store.js";

describeEdgeCaseStoreConformance({ name: "InMemoryEdgeCaseStore", createStore: async (embedder) => new InMemoryEdgeCaseStore({ embedder }) });
describeVerdictStoreConformance({ name: "InMemoryVerdictStore", createStore: async () => new InMemoryVerdictStore() });
describePendingLessonStoreConformance({ name: "InMemoryPendingLessonStore", createStore: async (clock) => new InMemoryPendingLessonStore({ clock }) });
