// The README's quickstart, run as written, with scripted models in place of real ones and the
// embedded Chroma server it starts by default. (The retriever gets more than its default 1 s
// for memory reads: the test machine is shared.)
import { HumanMessage } from "@langchain/core/messages";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLearningLoop, withLearning } from "./index.js";
import { RIGHT_LESSON, TOOLS as tools, createAgentModel, createLearnerModel, createPeerModel } from "./tests/invoice-world.js";

// The loop keeps its memory in ./.lessonloop by default: run where a fresh one is made, as a new user would.
const startedIn = process.cwd();
const workDir = mkdtempSync(join(tmpdir(), "lessonloop-readme-"));
beforeAll(() => process.chdir(workDir));
afterAll(() => {
  process.chdir(startedIn);
  rmSync(workDir, { recursive: true, force: true });
});

it("runs the README quickstart", async () => {
  const llm = createAgentModel();
  const learner = createLearnerModel(RIGHT_LESSON);
  const [peerA, peerB, peerC] = [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")];

  // --- README quickstart ---
  const loop = await createLearningLoop({
    learnerModel: learner, // proposes lessons (any LangChain chat model)
    validatorModels: [peerA, peerB, peerC], // three independent peers; never the proposer
    criticModel: null, // no LLM judge: tool errors and your evaluator decide
    tools: [{ name: "create_invoice" }, { name: "create_refund" }],
  });
  const learningAgent = withLearning(createReactAgent({ llm, tools }), {
    loop,
    scope: { tenant: "acme", agent: "billing" },
    learning: "sync",
    retriever: { timeoutMs: 5_000 },
  });

  const failed = await learningAgent.invoke({ messages: [new HumanMessage("Create an invoice for ACME of 12.50 EUR")] });
  // "I could not do it: Error: create_invoice no longer accepts `amount` …" — and a lesson was learned:
  console.log((await loop.memory.list()).map((lesson) => lesson.guidance));
  // ["Send the invoice amount as amount_cents, an integer number of cents (12.50 EUR is 1250); …"]
  const fixed = await learningAgent.invoke({ messages: [new HumanMessage("Create an invoice for ACME of 12.50 EUR")] });
  // "Done: Invoice INV-7 for ACME: 1250 cents." — the lesson reached the prompt
  await loop.close();
  // --- end ---

  expect(String(failed.messages.at(-1)?.content)).toContain("I could not do it: Error: create_invoice no longer accepts `amount`");
  expect(String(fixed.messages.at(-1)?.content)).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");
  expect(loop.chroma?.external).toBe(false);
});
