// End to end: the benchmark runner in openai mode, every model a real ChatOpenAI
// talking to a scripted OpenAI-protocol server over a socket, memory in the real
// Chroma server of the test run.
import { createLexicalEmbedder } from "@lessonloop/core";
import { testChromaUrl } from "@lessonloop/chroma/testing";
import { startOpenAiProtocolServer, type OpenAiProtocolServer } from "@lessonloop/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BenchmarkResultsSchema } from "../harness/results.js";
import { runBenchmark } from "../harness/run-benchmark.js";
import { createOpenAiSuite } from "./openai-suite.js";
import { independentValidators } from "./openai-suite-config.js";
import { CENTS_LESSON, DRIFT_AT, createInvoiceWorld, invoiceWorldAnswer, structuredName } from "./testing/invoice-world.js";

let server: OpenAiProtocolServer;
beforeAll(async () => {
  server = await startOpenAiProtocolServer({ respond: invoiceWorldAnswer });
});
afterAll(async () => {
  await server.close();
});

describe("runBenchmark in openai mode", () => {
  it("runs static and lessonloop over a drifting stream through the endpoint: the validated lesson fixes the drift for lessonloop only", async () => {
    const endpoint = { baseURL: server.baseURL, apiKey: "sk-bench-secret" };
    const suite = createOpenAiSuite({
      agent: { ...endpoint, model: "agent-model" },
      learner: { ...endpoint, model: "learner-model" },
      critic: { ...endpoint, model: "critic-model" },
      validators: independentValidators({ ...endpoint, models: ["peer-model"], count: 3 }),
      maxRetries: 0,
    });
    const warnings: string[] = [];

    const results = await runBenchmark({
      suite,
      environments: [createInvoiceWorld()],
      strategies: ["static", "lessonloop"],
      seed: 0,
      episodes: 8,
      probes: 2,
      chromaUrl: testChromaUrl(),
      embedder: createLexicalEmbedder(),
      onWarning: (message) => warnings.push(message),
    });

    expect(BenchmarkResultsSchema.parse(results)).toEqual(results);
    expect(results.mode).toBe("openai");
    expect(results.parameters).toMatchObject({ agentModel: "agent-model (t=server default)", validators: 3, structuredOutput: "functionCalling" });
    expect(JSON.stringify(results)).not.toContain("sk-bench-secret");
    expect(warnings).toEqual([]);

    const [environment] = results.environments;
    const byName = new Map(environment?.strategies.map((strategy) => [strategy.strategy, strategy]));
    const passes = (name: "static" | "lessonloop") => byName.get(name)?.episodes.map((episode) => episode.passed);
    // Before the drift both pass; after it the documented call fails every time for the static agent,
    // while lessonloop fails once, learns, validates and merges the lesson, and passes from then on.
    expect(passes("static")).toEqual([true, true, true, false, false, false, false, false]);
    expect(passes("lessonloop")).toEqual([true, true, true, false, true, true, true, true]);

    const lessonloop = byName.get("lessonloop");
    expect(lessonloop?.lessons.filter((lesson) => lesson.outcome === "merged").map(({ at, text, grade, votes }) => ({ at, text, grade, votes }))).toEqual([
      { at: DRIFT_AT, text: `When: ${CENTS_LESSON.trigger}\nDo: ${CENTS_LESSON.guidance}`, grade: "correct", votes: "3-0" },
    ]);
    // Usage is what the server reported: the agent's calls per episode, and learning (learner + peers' replays) at the failure.
    expect(lessonloop?.episodes.every((episode) => episode.agent.calls === 3 && episode.agent.promptTokens > 0)).toBe(true);
    expect(lessonloop?.episodes[DRIFT_AT]?.learning.calls).toBeGreaterThan(1);
    expect(byName.get("static")?.episodes.every((episode) => episode.learning.calls === 0)).toBe(true);

    // Every role went over the socket: the agent, the learner's structured call, and three independent peers replaying.
    const models = new Set(server.requests.map((request) => `${request.model}${request.seed === undefined ? "" : `#${request.seed}`}`));
    expect(models).toEqual(new Set(["agent-model", "learner-model", "peer-model#1", "peer-model#2", "peer-model#3"]));
    expect(server.requests.filter((request) => structuredName(request) === "propose_lessons")).toHaveLength(1);
    expect(server.exchanges.every((exchange) => exchange.error === undefined)).toBe(true);
  });
});
