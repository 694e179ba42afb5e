import { LessonSchema, LessonloopError, createLexicalEmbedder, type LessonloopErrorCode } from "@lessonloop/core";
import { SnapshotSchema, decodeRecord, lessonSearchText } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { connectChroma, startChroma } from "./chroma-server.js";
import { uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };

/** A memory as the release before change lists moved out of snapshot records stored it, record for record. */
interface StoredMemoryFixture {
  lessons: { id: string; document: string; metadata: Record<string, string | number> }[];
  snapshots: { id: string; document: string; metadata: Record<string, string | number> }[];
}
const formatOneMemory = JSON.parse(readFileSync(new URL("./tests/fixtures/lesson-memory-format-1.json", import.meta.url), "utf8")) as StoredMemoryFixture;

/** Writes the fixture's records into the collections of a new memory `name`, as that release left them. */
async function storeFixture(url: string, name: string, fixture: StoredMemoryFixture): Promise<void> {
  const chroma = connectChroma(url);
  const lessons = await chroma.createCollection({ name: `${name}-lessons`, embeddingFunction: null, configuration: { hnsw: { space: "cosine" } }, metadata: { embedder: embedder.name, dimensions: embedder.dimensions } });
  const texts = fixture.lessons.map((record) => lessonSearchText(decodeRecord(LessonSchema, record.document, "fixture lesson")));
  await lessons.add({
    ids: fixture.lessons.map((record) => record.id),
    embeddings: await embedder.embedDocuments(texts),
    documents: fixture.lessons.map((record) => record.document),
    metadatas: fixture.lessons.map((record) => record.metadata),
  });
  const snapshots = await chroma.createCollection({ name: `${name}-snapshots`, embeddingFunction: null });
  await snapshots.add({
    ids: fixture.snapshots.map((record) => record.id),
    embeddings: fixture.snapshots.map(() => [0]),
    documents: fixture.snapshots.map((record) => record.document),
    metadatas: fixture.snapshots.map((record) => record.metadata),
  });
}

async function codeOf(promise: Promise<unknown>): Promise<LessonloopErrorCode | "not a LessonloopError"> {
  const error = await rejectionOf(promise);
  return LessonloopError.isInstance(error) ? error.code : "not a LessonloopError";
}

describe("ChromaLessonMemory", () => {
  const url = inject("chromaUrl");

  it("persists history and lessons: another instance on the same name sees them", async () => {
    const name = uniqueCollectionName("reopen");
    const writer = await ChromaLessonMemory.open({ url, name, embedder });
    await writer.commit({ add: [lessonFixture("kept")], reason: "one", ...author });
    await writer.commit({ add: [lessonFixture("later")], reason: "two", ...author });
    await writer.rollback({ to: 1, reason: "undo two", ...author });

    const reader = await ChromaLessonMemory.open({ url, name, embedder });
    expect(await reader.headVersion()).toBe(3);
    expect((await reader.list()).map((lesson) => lesson.id)).toEqual(["kept"]);
    expect((await reader.history()).map((snapshot) => snapshot.kind)).toEqual(["rollback", "commit", "commit", "genesis"]);
  });

  it("shows a reader in another process the writer's new versions once its copy is stale", async () => {
    const name = uniqueCollectionName("fresh");
    const writer = await ChromaLessonMemory.open({ url, name, embedder });
    const reader = await ChromaLessonMemory.open({ url, name, embedder, freshnessMs: 0 });
    expect(await reader.headVersion()).toBe(0);
    await writer.commit({ add: [lessonFixture("new")], reason: "one", ...author });
    expect(await reader.headVersion()).toBe(1);
    // Time travel to a version the reader has not seen yet syncs it first.
    const lagging = await ChromaLessonMemory.open({ url, name, embedder, freshnessMs: 60_000 });
    await writer.commit({ add: [lessonFixture("newer")], reason: "two", ...author });
    expect((await lagging.list({ version: 2 })).map((lesson) => lesson.id)).toEqual(["new", "newer"]);
  });

  it("finds a small scope's lessons behind thousands of nearer lessons of another tenant", async () => {
    const name = uniqueCollectionName("sparse");
    const memory = await ChromaLessonMemory.open({ url, name, embedder });
    const crowd = Array.from({ length: 2_000 }, (_, index) =>
      lessonFixture(`big-${index}`, { scope: { tenant: "big" }, trigger: `refund an order ${index}`, guidance: "refund the order to the original payment method" }),
    );
    await memory.commit({ add: crowd, reason: "a large tenant", ...author });
    await memory.commit({
      add: [
        lessonFixture("small-1", { scope: { tenant: "small" }, trigger: "printing a shipping label", guidance: "use the A6 format" }),
        lessonFixture("small-2", { scope: { tenant: "small" }, trigger: "archiving old tickets", guidance: "keep them for ten years" }),
      ],
      reason: "a small tenant",
      ...author,
    });
    // Every nearest neighbour of this query belongs to "big": the pool must widen, then fall back.
    const found = await memory.search({ query: "refund an order to the original payment method", scope: { tenant: "small" }, k: 5 });
    expect(found.map((result) => result.lesson.id).sort()).toEqual(["small-1", "small-2"]);
    const crowded = await memory.search({ query: "refund an order to the original payment method", scope: { tenant: "big" }, k: 5 });
    expect(crowded).toHaveLength(5);
    expect(crowded.every((result) => result.lesson.scope.tenant === "big")).toBe(true);
  });

  it("refuses to reopen a memory with a different embedder", async () => {
    const name = uniqueCollectionName("embedder");
    await ChromaLessonMemory.open({ url, name, embedder });
    const other = createLexicalEmbedder({ dimensions: 128 });
    await expect(ChromaLessonMemory.open({ url, name, embedder: other })).rejects.toThrow(/was built with embedder "lexical-v1-1024"/);
  });

  it("rejects a memory name Chroma cannot hold", async () => {
    expect(await codeOf(ChromaLessonMemory.open({ url, name: "no spaces please", embedder }))).toBe("invalid_input");
  });

  it("ignores records of a commit that crashed before its snapshot, and clears them on the next commit", async () => {
    const name = uniqueCollectionName("orphans");
    const memory = await ChromaLessonMemory.open({ url, name, embedder });
    await memory.commit({ add: [lessonFixture("live")], reason: "one", ...author });
    // What a process killed mid-commit leaves behind: records for version 2, no snapshot 2.
    const orphan = { ...lessonFixture("orphan", { trigger: "live happens" }), status: "approved" };
    const lessons = await connectChroma(url).getCollection({ name: memory.collections.lessons });
    const [vector] = await embedder.embedDocuments([lessonSearchText({ trigger: orphan.trigger, guidance: "x" })]);
    await lessons.add({
      ids: ["orphan@2"],
      embeddings: [vector as number[]],
      documents: [JSON.stringify(orphan)],
      metadatas: [{ lessonId: "orphan", addedIn: 2, kind: "recovery", tenant: "acme", user: "*", agent: "*" }],
    });
    const found = async () => (await memory.search({ query: "live happens", scope: { tenant: "acme" }, k: 10 })).map((result) => result.lesson.id);
    expect(await found()).toEqual(["live"]);
    await memory.commit({ add: [lessonFixture("next")], reason: "two", ...author });
    expect((await found()).sort()).toEqual(["live", "next"]);
    expect(await lessons.count()).toBe(2);
  });

  it("reads only the records of the attempt that won a version, never a losing writer's", async () => {
    const name = uniqueCollectionName("loser");
    const memory = await ChromaLessonMemory.open({ url, name, embedder, freshnessMs: 0 });
    await memory.commit({ add: [lessonFixture("first")], reason: "one", ...author });
    // What a writer that lost version 2 (or was killed before storing it) leaves: its own records,
    // one of them under the very lesson id the winner merges, with other content.
    const lessons = await connectChroma(url).getCollection({ name: memory.collections.lessons });
    const losing = [
      { ...lessonFixture("shared", { guidance: "the losing text" }), status: "approved" },
      { ...lessonFixture("ghost", { trigger: "shared happens" }), status: "approved" },
    ];
    const vectors = await embedder.embedDocuments(losing.map((lesson) => lessonSearchText(lesson)));
    await lessons.add({
      ids: losing.map((lesson) => `${lesson.id}@2@someone-else`),
      embeddings: vectors,
      documents: losing.map((lesson) => JSON.stringify(lesson)),
      metadatas: losing.map((lesson) => ({ lessonId: lesson.id, addedIn: 2, commitId: "someone-else", kind: "recovery", tenant: "acme", user: "*", agent: "*" })),
    });
    await memory.commit({ add: [lessonFixture("shared", { guidance: "the winning text" })], reason: "two", ...author });

    const reader = await ChromaLessonMemory.open({ url, name, embedder });
    expect((await reader.list()).map((lesson) => [lesson.id, lesson.guidance])).toEqual([
      ["first", "handle first carefully"],
      ["shared", "the winning text"],
    ]);
    expect((await reader.get("shared")).guidance).toBe("the winning text");
    const searched = await reader.search({ query: "shared happens", scope: { tenant: "acme" }, k: 10 });
    expect(searched.map((result) => [result.lesson.id, result.lesson.guidance]).sort()).toEqual([
      ["first", "handle first carefully"],
      ["shared", "the winning text"],
    ]);
    expect((await reader.diff(1, 2)).added.map((lesson) => lesson.guidance)).toEqual(["the winning text"]);
    // The winner's commit swept the loser's records.
    expect((await lessons.get({ where: { commitId: "someone-else" } })).ids).toEqual([]);
  });

  it("reports a damaged record as corrupt_store, naming what is wrong", async () => {
    const name = uniqueCollectionName("corrupt");
    const memory = await ChromaLessonMemory.open({ url, name, embedder });
    await memory.commit({ add: [lessonFixture("damaged")], reason: "one", ...author });
    const lessons = await connectChroma(url).getCollection({ name: memory.collections.lessons });
    const [vector] = await embedder.embedDocuments(["damaged"]);
    const [recordId] = (await lessons.get({ where: { lessonId: "damaged" } })).ids;
    await lessons.upsert({ ids: [recordId as string], embeddings: [vector as number[]], documents: [JSON.stringify({ id: "damaged", trigger: 42 })] });
    // A fresh instance: this process's cache still holds the record as it was written.
    const reopened = await ChromaLessonMemory.open({ url, name, embedder });
    const error = await reopened.get("damaged").catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/trigger/);
  });

  it("reads a memory stored with change lists inside snapshot records (format 1), and writes on top of it", async () => {
    const name = uniqueCollectionName("format-1");
    await storeFixture(url, name, formatOneMemory);
    const memory = await ChromaLessonMemory.open({ url, name, embedder });
    const expectedChanges = [
      [7, "rollback", ["ticket-priority"], ["label-a6"]],
      [6, "rollback", ["label-a6"], ["ticket-priority"]],
      [5, "rollback", [], ["label-a6"]],
      [4, "revert", ["refund-card"], ["refund-wallet"]],
      [3, "commit", ["ticket-priority"], []],
      [2, "commit", ["refund-wallet"], ["refund-card"]],
      [1, "commit", ["refund-card", "label-a6"], []],
      [0, "genesis", [], []],
    ];
    const changes = (history: readonly { version: number; kind: string; change: { added: string[]; retired: string[] } }[]) =>
      history.map((snapshot) => [snapshot.version, snapshot.kind, snapshot.change.added, snapshot.change.retired]);
    expect(changes(await memory.history())).toEqual(expectedChanges);
    expect((await memory.list()).map((lesson) => lesson.id)).toEqual(["refund-card", "ticket-priority"]);
    expect((await memory.list({ version: 2 })).map((lesson) => lesson.id)).toEqual(["label-a6", "refund-wallet"]);
    const anchored = await memory.search({ query: "something else entirely", scope: { tenant: "acme", user: "ann" }, k: 1, tools: ["create_ticket"] });
    expect(anchored.map((hit) => hit.lesson.id)).toContain("ticket-priority");

    // Writes on top: a bulk commit's snapshot is stored without its change (format 2), its change list apart;
    // a small change stays inline, in the format every release reads.
    const bulk = Array.from({ length: 150 }, (_, index) => lessonFixture(`bulk-${String(index).padStart(3, "0")}`, { scope: { tenant: "initech" } }));
    await memory.commit({ add: bulk, reason: "a bulk load", ...author });
    await memory.revert({ lessons: ["ticket-priority"], reason: "it hurt too", ...author });
    const reopened = await ChromaLessonMemory.open({ url, name, embedder });
    expect(changes(await reopened.history())).toEqual([[9, "revert", [], ["ticket-priority"]], [8, "commit", bulk.map((lesson) => lesson.id), []], ...expectedChanges]);
    expect((await reopened.list()).map((lesson) => lesson.id)).toEqual([...bulk.map((lesson) => lesson.id), "refund-card"]);
    const chroma = connectChroma(url);
    const stored = await (await chroma.getCollection({ name: memory.collections.snapshots })).get({ ids: ["v000000000008", "v000000000009"], include: ["documents", "metadatas"] });
    const [bulkDocument, revertDocument] = stored.documents.map((document) => JSON.parse(document ?? "") as { format: number; record: Record<string, unknown> });
    expect(bulkDocument?.format).toBe(2);
    expect(bulkDocument?.record).not.toHaveProperty("change");
    expect(revertDocument).toMatchObject({ format: 1, record: { change: { added: [], retired: ["ticket-priority"] } } });
    const changeLists = await (await chroma.getCollection({ name: memory.collections.changes })).get({ include: ["documents"] });
    expect(changeLists.ids).toEqual([`v000000000008@${String(stored.metadatas[0]?.["commitId"])}`]);
    expect(JSON.parse(changeLists.documents[0] ?? "")).toEqual({ format: 1, record: { added: bulk.map((lesson) => lesson.id), retired: [] } });
    // A release that reads snapshot records of format 1 only refuses the bulk one, saying to upgrade, rather than misreading it.
    const older = await rejectionOf(async () => decodeRecord(SnapshotSchema, stored.documents[0], "snapshot read from Chroma"));
    expect(LessonloopError.isInstance(older, "corrupt_store")).toBe(true);
    expect((older as Error).message).toMatch(/format 2, newer than the 1 .* Upgrade lessonloop/);
  });

  it("reads a snapshot whose change list is missing as corrupt_store, naming the version", async () => {
    const name = uniqueCollectionName("no-change-list");
    const memory = await ChromaLessonMemory.open({ url, name, embedder });
    await memory.commit({ add: [lessonFixture("kept")], reason: "one", ...author });
    await memory.commit({ add: Array.from({ length: 101 }, (_, index) => lessonFixture(`lost-${index}`)), reason: "two", ...author });
    const changes = await connectChroma(url).getCollection({ name: memory.collections.changes });
    const [listOfTwo] = (await changes.get({ where: { version: 2 } })).ids;
    await changes.delete({ ids: [listOfTwo as string] });
    const reopened = await ChromaLessonMemory.open({ url, name, embedder });
    const error = await rejectionOf(reopened.history());
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/Snapshot 2 is stored but its change list .* is missing/);
  });

  it("ignores the change list of an attempt that never stored its snapshot, and clears it on the next commit", async () => {
    const name = uniqueCollectionName("change-orphan");
    const memory = await ChromaLessonMemory.open({ url, name, embedder, freshnessMs: 0 });
    await memory.commit({ add: [lessonFixture("first")], reason: "one", ...author });
    // What a writer killed between its change list and its snapshot leaves behind.
    const changes = await connectChroma(url).getCollection({ name: memory.collections.changes });
    await changes.add({ ids: ["v000000000002@crashed"], embeddings: [[0]], documents: ['{"format":1,"record":{"added":["ghost"],"retired":["first"]}}'], metadatas: [{ version: 2, commitId: "crashed" }] });
    await memory.commit({ add: [lessonFixture("second")], reason: "two", ...author });
    const reader = await ChromaLessonMemory.open({ url, name, embedder });
    expect((await reader.snapshot(2)).change).toEqual({ added: ["second"], retired: [] });
    expect((await reader.list()).map((lesson) => lesson.id)).toEqual(["first", "second"]);
    expect((await changes.get({ where: { commitId: "crashed" } })).ids).toEqual([]);
  });

  describe("with its own server", () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("fails with store_unavailable while the server is down, loses nothing, and works again after a restart", async () => {
      const path = await mkdtemp(join(tmpdir(), "lessonloop-down-"));
      cleanups.push(() => rm(path, { recursive: true, force: true }));
      let server = await startChroma({ path });
      const memory = await ChromaLessonMemory.open({ url: server.url, name: "down-test", embedder, freshnessMs: 0 });
      await memory.commit({ add: [lessonFixture("before")], reason: "one", ...author });
      await server.stop();

      expect(await codeOf(memory.commit({ add: [lessonFixture("during")], reason: "two", ...author }))).toBe("store_unavailable");
      expect(await codeOf(memory.search({ query: "before", scope: { tenant: "acme" } }))).toBe("store_unavailable");
      expect(await codeOf(memory.rollback({ to: 0, reason: "x", ...author }))).toBe("store_unavailable");

      server = await startChroma({ path, port: server.port });
      cleanups.push(() => server.stop());
      const reopened = await ChromaLessonMemory.open({ url: server.url, name: "down-test", embedder });
      expect(await reopened.headVersion()).toBe(1);
      expect((await reopened.list()).map((lesson) => lesson.id)).toEqual(["before"]);
      await reopened.commit({ add: [lessonFixture("after")], reason: "two", ...author });
      expect((await reopened.list()).map((lesson) => lesson.id)).toEqual(["after", "before"]);
    });
  });
});
