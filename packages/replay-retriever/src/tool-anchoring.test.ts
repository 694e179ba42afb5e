import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, it } from "vitest";
import { estimateTokens, renderLessonContext } from "./lesson-context.js";
import { createLessonSelector } from "./lesson-selection.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };
const acme = { tenant: "acme" };

/** The helpdesk reproduction: `create_ticket`'s `priority` enum changed, and the lesson says so. */
const priorityLesson = lessonFixture("ticket-priority", {
  trigger: "When helpdesk API rejects priority value",
  guidance: "Send priority as low, normal, high or urgent; P1 to P4 were removed.",
  tools: ["create_ticket"],
});

/** Tasks that need the lesson, worded with none of its words. */
const PARAPHRASED_TASKS = [
  "Open a ticket for customer Hooli: invoice 9001 has a typo in its billing address.",
  "Initech says their shipment arrived damaged; log it so support can follow up.",
  "Globex cannot sign in since Tuesday. File an issue for them.",
  "Please raise a case: Umbrella Corp was charged twice this month.",
];

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

async function memoryWith(...lessons: ReturnType<typeof lessonFixture>[]) {
  const memory = new InMemoryLessonMemory({ embedder });
  await memory.commit({ add: lessons, reason: "learned", ...author });
  return memory;
}

const servedIds = (selection: { lessons: { lesson: { id: string } }[] }) => selection.lessons.map((served) => served.lesson.id);

describe("tool-anchored lessons", () => {
  it("serves a lesson anchored to an available tool for tasks that share no words with it, where text retrieval alone misses it", async () => {
    const memory = await memoryWith(priorityLesson);
    const select = createLessonSelector({ memory });
    const lessonWords = words(`${priorityLesson.trigger} ${priorityLesson.guidance}`);
    for (const task of PARAPHRASED_TASKS) {
      expect([...words(task)].filter((word) => lessonWords.has(word)), task).toEqual([]);
      // Text alone scores it below minRelevance (0.1): not served.
      const [hit] = await memory.search({ query: task, scope: acme, k: 1 });
      expect(hit?.score ?? 0, task).toBeLessThan(0.1);
      expect(servedIds(await select({ text: task, scope: acme })), task).toEqual([]);
      // With create_ticket available in the step it is served, whatever the words.
      expect(servedIds(await select({ text: task, scope: acme, tools: ["lookup_customer", "create_ticket"] })), task).toEqual(["ticket-priority"]);
      // Not when the agent cannot call the tool.
      expect(servedIds(await select({ text: task, scope: acme, tools: ["lookup_customer"] })), task).toEqual([]);
    }
  });

  it("keeps scope, retirement and time-travel pins as for text retrieval", async () => {
    const memory = new InMemoryLessonMemory({ embedder });
    await memory.commit({ add: [lessonFixture("other", { trigger: "shipping", guidance: "weigh parcels" })], reason: "first", ...author });
    await memory.commit({
      add: [priorityLesson, lessonFixture("ana-priority", { ...priorityLesson, id: "ana-priority", scope: { tenant: "acme", user: "ana" }, guidance: "ana wants urgent" })],
      reason: "learned",
      ...author,
    });
    const select = createLessonSelector({ memory });
    const task = PARAPHRASED_TASKS[0] as string;
    const tools = ["create_ticket"];

    expect(servedIds(await select({ text: task, scope: { tenant: "acme", user: "ana" }, tools })).sort()).toEqual(["ana-priority", "ticket-priority"]);
    expect(servedIds(await select({ text: task, scope: { tenant: "acme", user: "ben" }, tools }))).toEqual(["ticket-priority"]);
    expect(servedIds(await select({ text: task, scope: { tenant: "globex" }, tools }))).toEqual([]);
    // A run pinned to the version before the merge is served what was live then.
    expect(servedIds(await select({ text: task, scope: acme, tools, version: 1 }))).toEqual([]);
    await memory.commit({ retire: ["ticket-priority"], reason: "obsolete", ...author });
    expect(servedIds(await select({ text: task, scope: acme, tools }))).toEqual([]);
    expect(servedIds(await select({ text: task, scope: acme, tools, version: 2 }))).toEqual(["ticket-priority"]);
  });

  it("ranks anchored lessons with the rest and keeps them within the token budget", async () => {
    const many = Array.from({ length: 12 }, (_, index) =>
      lessonFixture(`ticket-${index}`, { trigger: `ticket rule ${index}`, guidance: `${"a long piece of advice about tickets ".repeat(3)}${index}`, tools: ["create_ticket"] }),
    );
    const memory = await memoryWith(...many, lessonFixture("unanchored", { trigger: "weighing parcels", guidance: "send grams" }));
    const select = createLessonSelector({ memory, budget: 150, maxLessons: 10 });
    const selection = await select({ text: PARAPHRASED_TASKS[2] as string, scope: acme, tools: ["create_ticket"] });
    const tokens = estimateTokens(renderLessonContext({ lessons: selection.lessons, examples: [] }));
    expect(selection.lessons.length).toBeGreaterThan(0);
    expect(selection.lessons.length).toBeLessThan(many.length);
    expect(tokens).toBeLessThanOrEqual(150);
    // A lesson about no tool is still found by its words only.
    expect(servedIds(selection)).not.toContain("unanchored");
  });

  it("refuses a tool name that is not one as the caller's error", async () => {
    const select = createLessonSelector({ memory: await memoryWith(priorityLesson) });
    await expect(select({ text: "x", scope: acme, tools: ["create ticket"] })).rejects.toThrow(/tools of the lesson selection/);
  });
});
