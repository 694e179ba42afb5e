// A new user's first script, as the packaging check (pack-install.ts) runs it in a fresh npm
// project: a tool-calling graph that fails once, learns a validated lesson offline (scripted
// models from lessonloop/testing, the embedded Chroma in ./.lessonloop) and gets the next run
// right. It is plain JavaScript in TypeScript syntax, so the same text runs with `node` as
// learn.mjs and type-checks with `tsc` as learn.ts.
import assert from "node:assert/strict";
import { isToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { createLearningLoop, withLearning } from "lessonloop";
import { ScriptedChatModel, scriptedLearnerModel, scriptedPeerModel } from "lessonloop/testing";
import { z } from "zod";

const TASK = "Create an invoice for ACME of 12.50 EUR";
const createInvoice = tool(
  async ({ amount_cents }) => {
    if (amount_cents === undefined) throw new Error("create_invoice no longer accepts `amount`: send `amount_cents`");
    return `Invoice INV-1: ${amount_cents} cents`;
  },
  { name: "create_invoice", description: "Creates an invoice.", schema: z.object({ customer: z.string(), amount: z.number().optional(), amount_cents: z.number().int().optional() }) },
);
const tools = [createInvoice];
// The agent sends cents once a lesson in its system message says so.
const decide = (lessonText = "") => ({ tool: "create_invoice", args: /amount_cents/.test(lessonText) ? { customer: "ACME", amount_cents: 1250 } : { customer: "ACME", amount: 12.5 } });

const agentModel = new ScriptedChatModel({
  name: "agent",
  responses: ({ messages }) => {
    const last = messages.at(-1);
    if (isToolMessage(last)) return `${last.status === "error" ? "Failed" : "Done"}: ${String(last.content)}`;
    const system = messages.filter((message) => message.getType() === "system").map((message) => String(message.content)).join("\n");
    const { tool: name, args } = decide(system);
    return { toolCalls: [{ name, args }] };
  },
});
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
const peers = ["peer-a", "peer-b", "peer-c"].map((name) =>
  scriptedPeerModel({ name, decide: ({ lessons }) => decide(lessons.map((lesson) => lesson.whatToDo).join("\n")), judge: ({ decision }) => /amount_cents/.test(decision) }),
);

const loop = await createLearningLoop({ learnerModel, validatorModels: peers, criticModel: null, tools: [{ name: "create_invoice", description: "Creates an invoice." }], logVerdicts: "off" });
// Never called: it only proves the installed declarations are read (were they missing or
// `any`, the expected error would not come and tsc would fail on the directive).
const misconfigured = () =>
  // @ts-expect-error `learning` is "sync" or "background"
  withLearning(graph, { loop, scope: { tenant: "acme" }, learning: "never" });
void misconfigured;

try {
  const agent = withLearning(graph, { loop, scope: { tenant: "acme", agent: "billing" }, learning: "sync", checkpointer: new MemorySaver() });
  const first = await agent.invoke({ messages: [{ role: "user", content: TASK }] }, { configurable: { thread_id: "t1" } });
  assert.match(String(first.messages.at(-1)?.content), /^Failed/);
  assert.equal(await loop.memory.headVersion(), 1);
  const second = await agent.invoke({ messages: [{ role: "user", content: TASK }] }, { configurable: { thread_id: "t2" } });
  assert.equal(String(second.messages.at(-1)?.content), "Done: Invoice INV-1: 1250 cents");
  console.log(JSON.stringify({ firstRun: "failed", memoryVersion: await loop.memory.headVersion(), secondRun: "right" }));
} finally {
  await loop.close();
}
