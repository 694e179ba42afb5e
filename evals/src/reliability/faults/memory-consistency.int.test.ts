// The consistency check of the fault and concurrency scenarios must itself catch a broken memory.
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaLessonMemory, connectChroma } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createSeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { writerLesson } from "./commit-writer-protocol.js";
import { checkMemoryConsistency } from "./memory-consistency.js";

describe("checkMemoryConsistency", () => {
  it("passes a healthy memory, and catches a lost acknowledged write and a live lesson whose record is gone", async () => {
    const url = testChromaUrl();
    const name = uniqueCollectionName("consistency");
    const memory = await ChromaLessonMemory.open({ url, name, embedder: createLexicalEmbedder() });
    const first = await memory.commit({ add: [writerLesson("a", "t"), writerLesson("b", "t")], reason: "one", author: "t" });
    const acked = [{ version: first.version, kind: "commit" as const, added: ["a", "b"] }];
    const random = createSeededRandom(1);
    expect((await checkMemoryConsistency({ url, name, acked, random })).problems).toEqual([]);

    // An acknowledged write that history does not hold.
    const lost = await checkMemoryConsistency({ url, name, acked: [...acked, { version: 2, kind: "commit", added: ["c"] }], random });
    expect(lost.lostWrites).toBe(1);

    const lessons = await connectChroma(url).getCollection({ name: memory.collections.lessons });
    // A record of a live lesson gone missing.
    const [recordOfA] = (await lessons.get({ where: { lessonId: "a" } })).ids;
    await lessons.delete({ ids: [recordOfA as string] });
    expect((await checkMemoryConsistency({ url, name, acked, random })).problems.join("\n")).toMatch(/missing a/);
  });
});
