export { startChroma, connectChroma, findFreePort, chromaCliPath } from "./chroma-server.js";
export type { ChromaServer, StartChromaParams } from "./chroma-server.js";

export { mapChromaError, callChroma, parseStoredDocument } from "./chroma-errors.js";
export type { ChromaErrorContext } from "./chroma-errors.js";

// Moved to @lessonloop/core; re-exported until the learning loop imports it from there.
export { createLexicalEmbedder } from "@lessonloop/core";
export type { LexicalEmbedder, LexicalEmbedderParams } from "@lessonloop/core";
export { fromLangChainEmbeddings } from "./langchain-embedder.js";
export type { FromLangChainEmbeddingsParams } from "./langchain-embedder.js";

export { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
export type { ChromaEdgeCaseStoreParams } from "./chroma-edge-case-store.js";

export { ChromaLessonMemory } from "./chroma-lesson-memory.js";
export type { ChromaLessonMemoryParams } from "./chroma-lesson-memory.js";
