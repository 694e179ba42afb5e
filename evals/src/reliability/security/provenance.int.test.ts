import { ChromaLessonMemory, connectChroma } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { LessonloopError, createLexicalEmbedder, type Snapshot } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { BENIGN_CASES } from "./red-team-cases.js";
import { runPoisoning } from "./poisoning.js";

const T = "2026-01-01T00:00:00.000Z";

describe("provenance and append-only history", () => {
  it("every lesson the full loop merges carries proposer, model, evidence episodes and the votes that merged it", async () => {
    const prefix = uniqueCollectionName("provenance");
    await runPoisoning({ chromaUrl: testChromaUrl(), collectionPrefix: prefix, cases: [], benign: BENIGN_CASES.slice(0, 2) });
    const memory = await ChromaLessonMemory.open({ url: testChromaUrl(), name: `${prefix}-memory`, embedder: createLexicalEmbedder() });
    const merged = await memory.list();
    expect(merged).toHaveLength(2);
    for (const lesson of merged) {
      expect(lesson.provenance.agent).toBe("lessonloop-learner");
      expect(lesson.provenance.model).toBe("credulous-learner");
      expect(lesson.evidence).toEqual([expect.stringMatching(/^episode-benign-/)]);
      const decision = lesson.provenance.merge;
      expect(decision?.policy).toBe("majority");
      expect(decision?.votes.map((vote) => vote.validator).sort()).toEqual(["peer-1", "peer-2", "peer-3"]);
      expect(decision?.tally.approve).toBeGreaterThanOrEqual(2);
      expect(decision?.votes.filter((vote) => vote.decision === "approve")).toHaveLength(decision?.tally.approve ?? -1);
    }
  }, 60_000);

  it("history only grows: the API has no way to rewrite it, and tampering in the store is refused or detected", async () => {
    const url = testChromaUrl();
    const name = uniqueCollectionName("append-only");
    const embedder = createLexicalEmbedder();
    const memory = await ChromaLessonMemory.open({ url, name, embedder, freshnessMs: 0 });
    const lesson = (id: string) => ({ id, trigger: `when ${id}`, guidance: `do ${id}`, kind: "strategy" as const, scope: { tenant: "acme" }, provenance: { agent: "a", model: "m", proposedAt: T }, createdAt: T });
    await memory.commit({ add: [lesson("one")], reason: "first", author: "test" });
    await memory.commit({ add: [lesson("two")], reason: "second", author: "test" });
    const before = await memory.history({ limit: 100 });

    // Through the API: a rollback appends, a re-merge under a used id is refused, returned snapshots are copies.
    await memory.rollback({ to: 1, reason: "undo two", author: "test" });
    const after = await memory.history({ limit: 100 });
    expect(after.slice(1)).toEqual(before);
    // A lesson id once merged keeps its record: a commit of another text under it never rewrites it.
    await memory.commit({ add: [{ ...lesson("one"), guidance: "rewritten" }], reason: "rewrite", author: "test" }).catch((error: unknown) => {
      if (!LessonloopError.isInstance(error, "conflict")) throw error;
    });
    expect((await memory.get("one", { version: 1 })).guidance).toBe("do one");
    expect((await memory.history({ limit: 100 })).slice(-after.length)).toEqual(after);
    (after[1] as Snapshot).reason = "edited by the caller";
    expect((await memory.history({ limit: 100 }))[1]?.reason).toBe("second");
    expect(Object.keys(memory).some((key) => /delete|remove|rewrite|update/i.test(key))).toBe(false);

    // In the store: writing an existing version again is ignored (Chroma's add keeps the first).
    const client = connectChroma(url);
    const snapshots = await client.getCollection({ name: memory.collections.snapshots });
    const forged = { ...before[0], reason: "forged", author: "intruder" };
    await snapshots.add({ ids: ["v000000000002"], embeddings: [[0]], documents: [JSON.stringify(forged)], metadatas: [{ version: 2 }] });
    const reopened = await ChromaLessonMemory.open({ url, name, embedder });
    expect((await reopened.snapshot(2)).author).toBe("test");

    // Deleting a version from the middle breaks the chain: a fresh reader refuses the history.
    await snapshots.delete({ ids: ["v000000000001"] });
    const afterDelete = await ChromaLessonMemory.open({ url, name, embedder });
    expect(LessonloopError.isInstance(await rejectionOf(afterDelete.history()), "corrupt_store")).toBe(true);
  }, 60_000);
});
