import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { patchMemory } from "@lessonloop/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkIsolation, isolationWorldArb, openIsolationStores } from "./isolation.js";

describe("scope isolation is enforced by the stores (property-based)", () => {
  it("in-memory: no search, list, diff or retriever output shows another scope's lesson", async () => {
    await fc.assert(
      fc.asyncProperty(isolationWorldArb, async (world) => {
        const { findings } = await checkIsolation(world, await openIsolationStores("in-memory"));
        expect(findings).toEqual([]);
      }),
      { numRuns: 60, seed: 8 },
    );
  }, 60_000);

  it("the check itself catches a store that forgets the scope", async () => {
    const world = fc.sample(isolationWorldArb.filter((w) => new Set(w.lessons.map((l) => l.scope.tenant)).size > 1), { numRuns: 1, seed: 3 })[0]!;
    const stores = await openIsolationStores("in-memory");
    const leaky = patchMemory(stores.memory, { list: ({ version } = {}) => stores.memory.list({ version }) });
    const { checks, findings } = await checkIsolation(world, { memory: leaky });
    expect(checks).toBeGreaterThan(0);
    expect(findings.map((finding) => finding.surface)).toContain("memory.list");
  });

  it("Chroma: memory, edge-case store and CLI listings never cross scopes", async () => {
    const prefix = uniqueCollectionName("isolation");
    await fc.assert(
      fc.asyncProperty(isolationWorldArb, async (world) => {
        const { findings } = await checkIsolation(world, await openIsolationStores({ chromaUrl: testChromaUrl(), prefix }));
        expect(findings).toEqual([]);
      }),
      { numRuns: 6, seed: 8 },
    );
  }, 120_000);
});
