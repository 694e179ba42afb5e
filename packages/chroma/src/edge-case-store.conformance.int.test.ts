import { describeEdgeCaseStoreConformance } from "@lessonloop/core/conformance";
import { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

describeEdgeCaseStoreConformance({
  name: "ChromaEdgeCaseStore",
  createStore: (embedder) => ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: uniqueCollectionName("conformance-cases"), embedder }),
});
