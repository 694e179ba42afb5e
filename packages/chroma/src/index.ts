// ── One memory's stores on Chroma, and the server they use ──────────────────
export { openChromaStores } from "./chroma-stores.js";
export type { ChromaStores, OpenChromaStoresParams } from "./chroma-stores.js";
export { startChroma, connectChroma } from "./chroma-server.js";
export type { ChromaServer, StartChromaParams } from "./chroma-server.js";

// ── Each store on its own ───────────────────────────────────────────────────
export { ChromaLessonMemory } from "./chroma-lesson-memory.js";
export type { ChromaLessonMemoryParams } from "./chroma-lesson-memory.js";
export { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
export type { ChromaEdgeCaseStoreParams } from "./chroma-edge-case-store.js";
export { ChromaVerdictStore } from "./chroma-verdict-store.js";
export { ChromaPendingLessonStore } from "./chroma-pending-lesson-store.js";
export { ChromaOutcomeLedger } from "./chroma-outcome-ledger.js";
export { MemoryNameSchema } from "./memory-name.js";

// ── For tools: what is on a server, without creating anything ───────────────
export { listChromaMemories, chromaCollectionEmbedder } from "./chroma-catalog.js";

// ── Embedders ───────────────────────────────────────────────────────────────
export { fromLangChainEmbeddings } from "./langchain-embedder.js";
