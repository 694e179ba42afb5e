// Outcomes are credited for every recorded episode: learned ones by the learning graph, and with
// learning off or an episode dropped by a full queue through loop.credit (deterministic signals only).
import { HumanMessage } from "@langchain/core/messages";
import { EpisodeSchema } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { afterEach, describe, expect, it } from "vitest";
import type { LearningLoop } from "./learning-loop.js";
import { INVOICE_TASK, RIGHT_LESSON, SCOPE, createAgentBuilder, createAgentModel, failedInvoiceEpisode } from "./tests/invoice-world.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";
import { withLearning } from "./with-learning.js";

const loops: LearningLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

describe("crediting outcomes without learning", () => {
  it("with learning off, credits each run's outcome to the lessons it was served, and learns nothing", async () => {
    const { loop, events } = await openInvoiceLoop({ name: "credit-off" });
    loops.push(loop);
    const agent = withLearning(createAgentBuilder(createAgentModel()), { loop, scope: { ...SCOPE }, learning: "off", retriever: { timeoutMs: 5_000 } });

    // Empty memory: the agent sends `amount`, the tool fails — a deterministic failure. The run does not wait for its credit; idle() does.
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    await loop.idle();
    expect(await loop.ledger.countOutcomes({})).toEqual({ successes: 0, failures: 1, unknown: 0 });

    // With the right lesson in memory the run is served it and succeeds: credited to the lesson.
    const lesson = lessonFixture("amount-cents", { trigger: RIGHT_LESSON.trigger, guidance: RIGHT_LESSON.guidance, scope: { ...SCOPE } });
    await loop.memory.commit({ add: [lesson], reason: "seed", author: "tester" });
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    await loop.idle();
    expect(await loop.ledger.countOutcomes({ served: "amount-cents" })).toEqual({ successes: 1, failures: 0, unknown: 0 });
    expect(await loop.ledger.countOutcomes({ beforeVersion: 1 })).toEqual({ successes: 0, failures: 1, unknown: 0 });
    expect(events.filter((event) => event.type === "episode_learned")).toEqual([]);
    expect(await loop.memory.headVersion()).toBe(1);
  });

  it("credit judges by deterministic signals only: a tool error is a failure, no signal is unknown, no model is asked", async () => {
    const { loop } = await openInvoiceLoop({ name: "credit-direct", params: { evaluator: undefined } });
    loops.push(loop);
    const failed = failedInvoiceEpisode("failed");
    const check = await loop.credit({ ...failed, servedLessons: ["some-lesson"] });
    expect(check.action).toBe("none");
    const quiet = EpisodeSchema.parse({ ...failedInvoiceEpisode("quiet"), trajectory: [{ type: "message", role: "assistant", content: "Done." }] });
    await loop.credit(quiet);
    expect(await loop.ledger.countOutcomes({ served: "some-lesson" })).toEqual({ successes: 0, failures: 1, unknown: 0 });
    expect(await loop.ledger.countOutcomes({})).toEqual({ successes: 0, failures: 1, unknown: 1 });
  });

  it("credits the outcome of an episode the full queue drops", async () => {
    const { loop, events } = await openInvoiceLoop({ name: "credit-dropped", params: { background: { maxQueued: 1, onFull: "drop-oldest" } } });
    loops.push(loop);
    for (let index = 0; index < 6; index++) await loop.enqueue(failedInvoiceEpisode(`e${index}`));
    const dropped = events.flatMap((event) => (event.type === "episode_dropped" ? [event.episodeId] : []));
    expect(dropped.length).toBeGreaterThan(0);
    await loop.idle();
    // Every episode is counted once: the learned ones by the learning graph, the dropped ones by credit.
    expect(await loop.ledger.countOutcomes({})).toEqual({ successes: 0, failures: 6, unknown: 0 });
  }, 60_000);
});
