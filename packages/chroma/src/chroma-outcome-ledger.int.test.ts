import { LessonloopError } from "@lessonloop/core";
import { describeOutcomeLedgerConformance } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { ChromaOutcomeLedger } from "./chroma-outcome-ledger.js";
import { connectChroma } from "./chroma-server.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

const memoryOf = (ledger: ChromaOutcomeLedger) => ledger.collectionName.replace(/-outcomes$/, "");

describeOutcomeLedgerConformance({
  name: "ChromaOutcomeLedger",
  createLedger: () => ChromaOutcomeLedger.open({ url: testChromaUrl(), memory: uniqueCollectionName("outcomes") }),
  reopen: (ledger) => ChromaOutcomeLedger.open({ url: testChromaUrl(), memory: memoryOf(ledger as ChromaOutcomeLedger) }),
});

describe("ChromaOutcomeLedger", () => {
  it("uses <memory>-outcomes and writes each record in the current record format", async () => {
    const memory = uniqueCollectionName("outcomes");
    const ledger = await ChromaOutcomeLedger.open({ url: testChromaUrl(), memory });
    expect(ledger.collectionName).toBe(`${memory}-outcomes`);
    await ledger.record({ episodeId: "e1", scope: { tenant: "acme" }, memoryVersion: 2, status: "success", recordedAt: "2026-01-01T00:00:00.000Z" });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: `${memory}-outcomes` });
    const stored = await raw.get({ ids: ["outcome:e1"], include: ["documents"] });
    expect(JSON.parse(stored.documents[0] ?? "")).toMatchObject({ format: 1, record: { episodeId: "e1", memoryVersion: 2 } });
  });

  it("reports a damaged record as corrupt_store when opened", async () => {
    const memory = uniqueCollectionName("outcomes");
    await ChromaOutcomeLedger.open({ url: testChromaUrl(), memory });
    const raw = await connectChroma(testChromaUrl()).getCollection({ name: `${memory}-outcomes` });
    await raw.add({ ids: ["outcome:bad"], embeddings: [[0]], documents: [JSON.stringify({ format: 1, record: { episodeId: "bad", status: "win" } })] });
    const error = await rejectionOf(ChromaOutcomeLedger.open({ url: testChromaUrl(), memory }));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
  });
});
