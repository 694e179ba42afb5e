import { InMemoryLessonMemory, LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { patchMemory } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { createLessonSelector } from "./lesson-selection.js";
import { REFUND_REQUEST, refundLesson } from "./tests/agent-graph.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };

describe("createLessonSelector (what memory serves for a task, outside any graph)", () => {
  it("selects the applicable lessons of the head, or of the version asked for, within the scope", async () => {
    const memory = new InMemoryLessonMemory({ embedder });
    await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    await memory.commit({ add: [refundLesson("refund-for-ana", { scope: { tenant: "acme", user: "ana" }, guidance: "ask ana before any refund above 50 EUR" })], reason: "learned", ...author });
    const select = createLessonSelector({ memory });

    const atHead = await select({ text: REFUND_REQUEST, scope: { tenant: "acme", user: "ana" } });
    expect(atHead.version).toBe(2);
    expect(atHead.lessons.map((served) => served.lesson.id).sort()).toEqual(["refund-duplicate-only", "refund-for-ana"]);
    expect(atHead.degraded).toEqual([]);

    const otherUser = await select({ text: REFUND_REQUEST, scope: { tenant: "acme", user: "ben" } });
    expect(otherUser.lessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
    const otherTenant = await select({ text: REFUND_REQUEST, scope: { tenant: "globex" } });
    expect(otherTenant.lessons).toEqual([]);

    const pinned = await select({ text: REFUND_REQUEST, scope: { tenant: "acme", user: "ana" }, version: 1 });
    expect(pinned).toMatchObject({ version: 1 });
    expect(pinned.lessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);

    expect(await select({ text: "   ", scope: { tenant: "acme" } })).toEqual({ lessons: [], examples: [], degraded: [] });
  });

  it("serves copies of the live index's lessons, which stay as stored whatever a caller does with them", async () => {
    const memory = new InMemoryLessonMemory({ embedder, liveIndexLessons: 10 });
    await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    await memory.liveIndexSettled();
    const select = createLessonSelector({ memory, cacheSize: 0 });
    const [served] = (await select({ text: REFUND_REQUEST, scope: { tenant: "acme" } })).lessons;
    expect(Object.isFrozen(served?.lesson)).toBe(false);
    if (served !== undefined) served.lesson.guidance = "refund everything twice";
    const [searched] = await memory.search({ query: REFUND_REQUEST, scope: { tenant: "acme" }, k: 1 });
    expect(Object.isFrozen(searched?.lesson)).toBe(false);
    if (searched !== undefined) searched.lesson.guidance = "never refund";
    const [again] = (await select({ text: REFUND_REQUEST, scope: { tenant: "acme" } })).lessons;
    expect(again?.lesson.guidance).toBe("refund only the duplicate charge and keep the original payment");
  });

  it("answers without lessons and says why when memory fails; a bad scope is the caller's error", async () => {
    const memory = new InMemoryLessonMemory({ embedder });
    await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    const failing = patchMemory(memory, { search: () => Promise.reject(new LessonloopError("store_unavailable", "Chroma is down.")) });
    const select = createLessonSelector({ memory: failing });

    const selection = await select({ text: REFUND_REQUEST, scope: { tenant: "acme" } });
    expect(selection.lessons).toEqual([]);
    expect(selection.version).toBe(1);
    expect(selection.degraded.map(({ source, error }) => [source, (error as Error).message])).toEqual([["memory", "Chroma is down."]]);

    await expect(select({ text: REFUND_REQUEST, scope: { tenant: "" } })).rejects.toThrow(/scope of the lesson selection/);
  });
});
