// The README's createAgent quickstart, run as written, with scripted models in place of real ones
// and the embedded Chroma server it starts by default. (The retriever gets more than its default
// 1 s for memory reads: the test machine is shared.)
import { HumanMessage } from "@langchain/core/messages";
import { createAgent } from "langchain";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLearningLoop, lessonloopMiddleware } from "./index.js";
import { RIGHT_LESSON, TOOLS as tools, createAgentModel, createLearnerModel, createPeerModel } from "./tests/invoice-world.js";

// The loop keeps its memory in ./.lessonloop by default: run where a fresh one is made, as a new user would.
const startedIn = process.cwd();
const workDir = mkdtempSync(join(tmpdir(), "lessonloop-readme-"));
beforeAll(() => process.chdir(workDir));
afterAll(() => {
  process.chdir(startedIn);
  rmSync(workDir, { recursive: true, force: true });
});

it("runs the README createAgent quickstart", async () => {
  const model = createAgentModel();
  const learner = createLearnerModel(RIGHT_LESSON);
  const [peerA, peerB, peerC] = [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")];

  // --- README quickstart ---
  const loop = await createLearningLoop({
    learnerModel: learner, // proposes lessons (any LangChain chat model)
    validatorModels: [peerA, peerB, peerC], // three independent peers; never the proposer
    criticModel: null, // no LLM judge: tool errors and your evaluator decide
    tools: [{ name: "create_invoice" }, { name: "create_refund" }],
  });
  const agent = createAgent({
    model,
    tools,
    systemPrompt: "You are the billing agent of a small shop.",
    middleware: [lessonloopMiddleware(loop, { scope: { tenant: "acme", agent: "billing" }, learning: "sync", retriever: { timeoutMs: 5_000 } })],
  });

  const failed = await agent.invoke({ messages: [new HumanMessage("Create an invoice for ACME of 12.50 EUR")] });
  // "I could not do it: Error: create_invoice no longer accepts `amount` …" — and a lesson was learned:
  console.log((await loop.memory.list()).map((lesson) => lesson.guidance));
  // ["Send the invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250); …"]
  const fixed = await agent.invoke({ messages: [new HumanMessage("Create an invoice for ACME of 12.50 EUR")] });
  // "Done: Invoice INV-7 for ACME: 1250 cents." — the lesson reached the system message
  await loop.close();
  // --- end ---

  expect(failed.messages.at(-1)?.text).toContain("I could not do it: Error: create_invoice no longer accepts `amount`");
  expect(fixed.messages.at(-1)?.text).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");
  expect(loop.chroma?.external).toBe(false);
});
