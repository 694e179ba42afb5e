import { describeExampleStoreConformance } from "@lessonloop/core/conformance";
import { ChromaExampleStore } from "./chroma-example-store.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

describeExampleStoreConformance({
  name: "ChromaExampleStore",
  createStore: (embedder) => ChromaExampleStore.open({ url: testChromaUrl(), collection: uniqueCollectionName("conformance-examples"), embedder }),
});
