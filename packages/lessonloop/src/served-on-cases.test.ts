import { EdgeCaseSchema, InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createLessonSelector } from "@lessonloop/replay-retriever";
import { describe, expect, it } from "vitest";
import { servedOnCases } from "./served-on-cases.js";

const acme = { tenant: "acme" };

/** A stored case from a run that called create_ticket, worded with none of the lesson's words. */
const ticketCase = (tools?: string[]) =>
  EdgeCaseSchema.parse({
    id: "case-hooli",
    input: "Open a ticket for customer Hooli: invoice 9001 has a typo in its billing address.",
    check: { type: "tool_call", name: "create_ticket", args: { customer: "Hooli" } },
    kind: "regression",
    scope: acme,
    ...(tools === undefined ? {} : { tools }),
    createdAt: "2026-03-01T12:00:00.000Z",
  });

describe("servedOnCases: what a validator's replay puts beside the candidate", () => {
  it("serves the lessons anchored to the tools the case's run used, as the agent was served them", async () => {
    const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder() });
    const priority = lessonFixture("ticket-priority", { trigger: "When helpdesk API rejects priority value", guidance: "Send priority as low, normal, high or urgent.", tools: ["create_ticket"] });
    await memory.commit({ add: [priority], reason: "learned", author: "tester" });
    const served = servedOnCases(createLessonSelector({ memory }));

    expect((await served(ticketCase(["lookup_customer", "create_ticket"]))).map((lesson) => lesson.id)).toEqual(["ticket-priority"]);
    // A case stored before tools were recorded, or from a run that never called it: text alone, which misses it.
    expect(await served(ticketCase())).toEqual([]);
    expect(await served(ticketCase(["lookup_customer"]))).toEqual([]);
  });

  it("reads a stored case written before tools were recorded", () => {
    expect(ticketCase().tools).toBeUndefined();
    expect(() => ticketCase(["create_ticket", "create_ticket"])).toThrow(/must not repeat a tool/);
  });
});
