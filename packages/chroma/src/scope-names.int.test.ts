// Issue 20: any visible text is a scope name. Chroma keeps names in metadata filtered with
// `$eq` / `$in` and `*` for "every user" — a user named `*`, or a name that looks like an
// encoded one, must still see only their own lessons and cases.
import { createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, it } from "vitest";
import { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { testChromaUrl, uniqueCollectionName } from "./testing/index.js";

const embedder = createLexicalEmbedder();
const T = "2026-01-01T00:00:00.000Z";
const USERS = ["*", "~*", "%2A", "josé", "jose\u0301", "李雷", "Ana Lopez", "o'reilly", "bob"];
const scopeOf = (user: string): Scope => ({ tenant: "acme", user });

describe("scope names on Chroma", () => {
  it("a lesson of user `*`, `~*`, `josé` … is served to that user only, and a tenant-wide one to all", async () => {
    const memory = await ChromaLessonMemory.open({ url: testChromaUrl(), name: uniqueCollectionName("names"), embedder });
    await memory.commit({
      add: [
        ...USERS.map((user, index) => ({ ...lessonFixture(`user-${index}`, { scope: scopeOf(user), trigger: "formatting a date" }), status: "approved" as const })),
        { ...lessonFixture("tenant-wide", { scope: { tenant: "acme" }, trigger: "formatting a date" }), status: "approved" as const },
      ],
      reason: "names",
      author: "test",
    });
    for (const [index, user] of USERS.entries()) {
      const found = await memory.search({ query: "formatting a date", scope: scopeOf(user), k: 50 });
      expect(found.map((hit) => hit.lesson.id).sort(), user).toEqual([`user-${index}`, "tenant-wide"].sort());
      const listed = await memory.list({ scope: scopeOf(user) });
      expect(listed.map((lesson) => lesson.id), user).toEqual([`user-${index}`]);
    }
    const tenantOnly = await memory.search({ query: "formatting a date", scope: { tenant: "acme" }, k: 50 });
    expect(tenantOnly.map((hit) => hit.lesson.id)).toEqual(["tenant-wide"]);
  });

  it("an edge case of user `*` is found in that user's scope only", async () => {
    const store = await ChromaEdgeCaseStore.open({ url: testChromaUrl(), collection: uniqueCollectionName("name-cases"), embedder });
    await store.add(
      USERS.map((user, index) => ({ id: `case-${index}`, input: "format the date", check: { type: "rubric", rubric: "a date" }, kind: "regression", scope: scopeOf(user), createdAt: T })),
    );
    for (const [index, user] of USERS.entries()) {
      const found = await store.findRelevant({ query: "format the date", scope: scopeOf(user), k: 50 });
      expect(found.map((hit) => hit.edgeCase.id), user).toEqual([`case-${index}`]);
    }
  });
});
