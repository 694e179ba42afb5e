// Issue 22: the drop-in serves the loop's examples next to its lessons, in the one system message of a
// createAgent agent, scoped like lessons, and stops serving an example a later failure made stale.
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import type { Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createAgent } from "langchain";
import { afterEach, describe, expect, it } from "vitest";
import { createLearningLoop, type LearningLoop } from "./learning-loop.js";
import { lessonloopMiddleware } from "./lessonloop-middleware.js";
import { INVOICE_TASK, RIGHT_LESSON, SCOPE, TOOLS, createAgentModel, failedInvoiceEpisode, invoiceLoopParams } from "./tests/invoice-world.js";

const SYSTEM_PROMPT = "You are the billing agent of a small shop.";
const EXAMPLES_HEADING = "Successful past runs of similar tasks";
const ANA: Scope = { ...SCOPE, user: "ana" };
const BOB: Scope = { ...SCOPE, user: "bob" };

const loops: LearningLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

const systemTexts = (messages: readonly BaseMessage[]) => messages.filter((message) => message.getType() === "system").map((message) => message.text);

describe("examples served by the createAgent middleware", () => {
  it("serves a user's successful run to that user's next similar task, in the one system message after the lessons; never to another user; not once stale", async () => {
    const loop = await createLearningLoop({ ...invoiceLoopParams(), chromaUrl: testChromaUrl(), memoryName: uniqueCollectionName("examples-served") });
    loops.push(loop);
    const lesson = lessonFixture("cents", { trigger: RIGHT_LESSON.trigger, guidance: RIGHT_LESSON.guidance, kind: RIGHT_LESSON.kind, scope: SCOPE });
    await loop.memory.commit({ add: [{ ...lesson, status: "approved" }], reason: "the cents lesson", author: "tester" });

    const agentOf = (scope: Scope) => {
      const model = createAgentModel();
      const agent = createAgent({
        model,
        tools: TOOLS,
        systemPrompt: SYSTEM_PROMPT,
        checkpointer: new MemorySaver(),
        middleware: [lessonloopMiddleware(loop, { scope, learning: "sync", retriever: { timeoutMs: 5_000 } })],
      });
      let turn = 0;
      /** The system messages of the run's first model call. */
      const run = async (): Promise<string[]> => {
        const before = model.calls.length;
        await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, { configurable: { thread_id: `${scope.user}-${turn++}` } });
        return systemTexts(model.calls[before]?.messages ?? []);
      };
      return { run };
    };
    const ana = agentOf(ANA);
    const bob = agentOf(BOB);

    // Ana's first run is served the lesson only; it succeeds and is kept as an example of her scope.
    const first = await ana.run();
    expect(first).toHaveLength(1);
    expect(first[0]).toContain(RIGHT_LESSON.guidance);
    expect(first[0]).not.toContain(EXAMPLES_HEADING);
    const kept = await loop.exampleStore?.list({ scope: ANA });
    expect(kept?.map((example) => [example.input, example.scope])).toEqual([[INVOICE_TASK, ANA]]);

    // Her next run sees it, in the same one system message, after the lesson; the tool output marked as data.
    const second = await ana.run();
    expect(second).toHaveLength(1);
    const text = second[0] as string;
    expect(text.startsWith(SYSTEM_PROMPT)).toBe(true);
    expect(text).toContain(`${EXAMPLES_HEADING}`);
    expect(text).toContain(`Task: ${INVOICE_TASK}`);
    expect(text).toMatch(/create_invoice → <tool_output untrusted="true">[^<]*<\/tool_output>/);
    expect(text.indexOf(RIGHT_LESSON.guidance)).toBeLessThan(text.indexOf(EXAMPLES_HEADING));

    // Bob, same tenant and agent, is served the tenant's lesson but never Ana's run.
    const bobs = await bob.run();
    expect(bobs[0]).toContain(RIGHT_LESSON.guidance);
    expect(bobs[0]).not.toContain(EXAMPLES_HEADING);

    // A later failure of Ana's on the task: the world moved, the example goes stale and is no longer served.
    const failed = await loop.learn({ ...failedInvoiceEpisode("ana-failed", new Date(Date.now() + 60_000).toISOString()), scope: ANA });
    expect(failed.example?.status).toBe("marked_stale");
    expect(await ana.run()).toEqual([expect.not.stringContaining(EXAMPLES_HEADING)]);
  }, 120_000);
});
