import { describeExampleStoreConformance } from "./conformance/example-store-conformance.js";
import { InMemoryExampleStore } from "./in-memory-example-store.js";

describeExampleStoreConformance({ name: "InMemoryExampleStore", createStore: async (embedder) => new InMemoryExampleStore({ embedder }), propertyRuns: 60 });
