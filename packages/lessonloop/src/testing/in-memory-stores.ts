import { InMemoryEdgeCaseStore, InMemoryLessonMemory, InMemoryOutcomeLedger, InMemoryVerdictStore, createLexicalEmbedder, type Embedder } from "@lessonloop/core";

/**
 * A memory, edge-case store, verdict store and outcome ledger in this process,
 * to spread into `createLearningLoop`: no Chroma server, nothing kept after the test.
 */
export function inMemoryStores({ embedder = createLexicalEmbedder() }: { embedder?: Embedder } = {}) {
  return {
    memory: new InMemoryLessonMemory({ embedder }),
    edgeCaseStore: new InMemoryEdgeCaseStore({ embedder }),
    verdictStore: new InMemoryVerdictStore(),
    ledger: new InMemoryOutcomeLedger(),
  };
}
