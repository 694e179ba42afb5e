// What a user's own test of a graph with learning looks like with nothing but
// lessonloop and lessonloop/testing: offline, no Chroma, no model endpoint.
import { ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { createLearningLoop, withLearning } from "lessonloop";
import { ScriptedChatModel, inMemoryStores, scriptedLearnerModel, scriptedPeerModel, type ShownLesson } from "lessonloop/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const TASK = "Create an invoice for ACME of 12.50 EUR";
const createInvoice = tool(
  async ({ amount_cents }: { customer: string; amount?: number | undefined; amount_cents?: number | undefined }) => {
    if (amount_cents === undefined) throw new Error("create_invoice no longer accepts `amount`: send `amount_cents`");
    return `Invoice INV-1: ${amount_cents} cents`;
  },
  { name: "create_invoice", description: "Creates an invoice.", schema: z.object({ customer: z.string(), amount: z.number().optional(), amount_cents: z.number().int().optional() }) },
);
const createRefund = tool(async ({ order, amount }: { order: string; amount: number }) => `Refunded ${amount} EUR on ${order}`, {
  name: "create_refund",
  description: "Refunds an order.",
  schema: z.object({ order: z.string(), amount: z.number() }),
});

const text = (message: BaseMessage | undefined) => (typeof message?.content === "string" ? message.content : JSON.stringify(message?.content ?? ""));

/** The agent's policy: cents for invoices once a lesson in its prompt says so; refunds always in euros. */
function decide(task: string, lessonText: string) {
  if (/refund/i.test(task)) return { tool: "create_refund", args: { order: /order (\S+)/.exec(task)?.[1] ?? "?", amount: 5 } };
  return { tool: "create_invoice", args: /amount_cents/.test(lessonText) ? { customer: "ACME", amount_cents: 1250 } : { customer: "ACME", amount: 12.5 } };
}
const shown = (lessons: ShownLesson[]) => lessons.map((lesson) => `${lesson.appliesWhen} ${lesson.whatToDo}`).join("\n");

describe("lessonloop/testing", () => {
  it("runs createLearningLoop offline end to end: a failed run, a lesson proposed, validated by three peers and merged, the next run right", async () => {
    const agentModel = new ScriptedChatModel({
      name: "agent",
      responses: ({ messages }) => {
        const last = messages.at(-1);
        if (last?.getType() === "tool") return (last as ToolMessage).status === "error" ? `Failed: ${text(last)}` : `Done: ${text(last)}`;
        const system = messages.filter((message) => message.getType() === "system").map(text).join("\n");
        const { tool: name, args } = decide(TASK, system);
        return { toolCalls: [{ name, args }] };
      },
    });
    const tools = [createInvoice, createRefund];
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("model", async (state) => ({ messages: [await agentModel.bindTools(tools).invoke(state.messages)] }))
      .addNode("tools", new ToolNode(tools))
      .addEdge(START, "model")
      .addConditionalEdges("model", toolsCondition, ["tools", END])
      .addEdge("tools", "model");

    const learnerModel = scriptedLearnerModel({
      lessons: [
        {
          trigger: "creating an invoice with create_invoice",
          guidance: "Send the amount as amount_cents, an integer number of cents; create_invoice no longer accepts amount.",
          rationale: "create_invoice rejected amount.",
          kind: "recovery",
          appliesTo: "agent",
          tools: ["create_invoice"],
        },
      ],
    });
    const peer = (name: string) =>
      scriptedPeerModel({ name, decide: ({ task, lessons }) => decide(task, shown(lessons)), judge: ({ decision }) => /amount_cents/.test(decision) });
    const peers = [peer("peer-a"), peer("peer-b"), peer("peer-c")];
    const stores = inMemoryStores();
    // A case that passes today: the lesson must not change refunds.
    await stores.edgeCaseStore.add([
      {
        id: "refund-a1",
        input: "Refund 5 EUR on order A-1",
        check: { type: "tool_call", name: "create_refund", args: { order: "A-1", amount: 5 } },
        kind: "regression",
        scope: { tenant: "acme", agent: "billing" },
        createdAt: "2026-01-01T00:00:00.000Z",
      },
    ]);
    const loop = await createLearningLoop({
      ...stores,
      learnerModel,
      validatorModels: peers,
      criticModel: null,
      tools: [
        { name: "create_invoice", description: "Creates an invoice." },
        { name: "create_refund", description: "Refunds an order." },
      ],
      logVerdicts: "off",
    });
    try {
      const agent = withLearning(graph, { loop, scope: { tenant: "acme", agent: "billing" }, learning: "sync", checkpointer: new MemorySaver() });
      const first = await agent.invoke({ messages: [{ role: "user", content: TASK }] }, { configurable: { thread_id: "t1" } });
      expect(text(first.messages.at(-1))).toMatch(/^Failed/);

      expect(learnerModel.calls.map((call) => call.tools[0]?.name)).toContain("propose_lessons");
      for (const model of peers) expect(model.calls.map((call) => call.tools[0]?.name)).toContain("agent_decision");
      expect(await loop.memory.headVersion()).toBe(1);
      const live = await loop.memory.search({ query: TASK, scope: { tenant: "acme", agent: "billing" } });
      expect(live.map(({ lesson }) => lesson.guidance)).toEqual([expect.stringContaining("amount_cents")]);

      const second = await agent.invoke({ messages: [{ role: "user", content: TASK }] }, { configurable: { thread_id: "t2" } });
      expect(text(second.messages.at(-1))).toBe("Done: Invoice INV-1: 1250 cents");
    } finally {
      await loop.close();
    }
  });

  it("answers each question by its tool name and refuses the rest, naming what it answers", async () => {
    const learner = scriptedLearnerModel({ lessons: [], relation: "same" });
    const compare = await learner.withStructuredOutput(z.object({ relation: z.string(), reason: z.string() }), { name: "compare_lessons" }).invoke("compare");
    expect(compare.relation).toBe("same");
    const repair = await learner.withStructuredOutput(z.object({ giveUp: z.boolean(), reason: z.string() }), { name: "repair_lesson" }).invoke("repair");
    expect(repair.giveUp).toBe(true);
    await expect(learner.withStructuredOutput(z.object({}), { name: "agent_decision" }).invoke("x")).rejects.toThrow(/propose_lessons, compare_lessons, repair_lesson/);
    const peer = scriptedPeerModel({ name: "p", decide: () => ({ answer: "no" }) });
    const judged = await peer
      .withStructuredOutput(z.object({ passed: z.boolean(), reason: z.string() }), { name: "rubric_judgement" })
      .invoke("Task:\nt\n\nThe agent's decision:\nd\n\nRubric:\nr");
    expect(judged).toEqual({ passed: false, reason: expect.stringContaining("no scripted judge") });
  });
});
