// The real-model path over a real socket: a small HTTP server on 127.0.0.1 speaks
// the OpenAI chat-completions protocol (tool calls for the agent, JSON-schema
// answers for the learner and the peers) with the simulated policies, and
// `openAIModels` — the code `main.ts` runs with LESSONLOOP_MODEL set — talks to
// it through real `ChatOpenAI` clients.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
// Declares the `chromaUrl` the root vitest setup provides.
import type {} from "@lessonloop/chroma/testing";
import {
  messageText as textOf,
  startOpenAiProtocolServer,
  type ChatCompletionAnswer,
  type ChatCompletionRequest as ChatRequest,
  type OpenAiProtocolServer,
} from "@lessonloop/core/testing";
import { CENTS_LESSON, answerAfterTool, decide, learnerAnswer, peerAnswer } from "./billing-world.js";
import { SYSTEM_PROMPT, openAIModels, runDropInReactAgent } from "./drop-in-react-agent.js";

/** The assistant message the server answers, or an error text. */
function answer(request: ChatRequest): ChatCompletionAnswer | Error {
  const structured = request.response_format?.json_schema?.name ?? request.tools?.find((tool) => tool.function.name !== "create_invoice" && tool.function.name !== "create_refund")?.function.name;
  const messages = request.messages;
  if (request.tools?.some((tool) => tool.function.name === "create_invoice")) {
    const last = messages.at(-1);
    if (last?.role === "tool") return { content: answerAfterTool(textOf(last), textOf(last).startsWith("Error")) };
    const lessons = messages.filter((message) => message.role === "system").map(textOf).join("\n");
    const decision = decide(textOf([...messages].reverse().find((message) => message.role === "user")), lessons);
    if ("answer" in decision) return { content: decision.answer };
    return { content: null, toolCalls: [{ name: decision.name, arguments: decision.args }] };
  }
  const value =
    structured === "propose_lessons" || structured === "compare_lessons"
      ? learnerAnswer(structured, messages.map(textOf).join("\n"))
      : peerAnswer(structured, textOf(messages.find((message) => message.role === "system")), textOf(messages.at(-1)));
  return value instanceof Error ? value : { content: JSON.stringify(value) };
}

let server: OpenAiProtocolServer;
let baseURL = "";

beforeAll(async () => {
  server = await startOpenAiProtocolServer({ respond: answer });
  baseURL = server.baseURL;
});

afterAll(async () => {
  await server.close();
});

describe("drop-in-react-agent on an OpenAI-compatible endpoint", () => {
  it("runs agent, learner and peers through ChatOpenAI, and the lesson reaches the agent's requests once merged", async () => {
    const result = await runDropInReactAgent({
      models: openAIModels({ model: "test-model", apiKey: "test-key", baseURL }),
      chromaUrl: inject("chromaUrl"),
      memoryName: `drop-in-openai-${randomUUID().slice(0, 8)}`,
      print: () => {},
    });

    expect(result.rows.map((row) => row.learning.status)).toEqual(["ok", "ok", "ok", "failed", "ok", "ok", "ok", "ok"]);
    expect(result.rows.map((row) => row.static.status)).toEqual(["ok", "ok", "ok", "failed", "ok", "failed", "failed", "failed"]);
    expect(result.lessons.map((lesson) => lesson.guidance)).toEqual([CENTS_LESSON.guidance]);

    // Every model call went over the socket: the agent's (with tools), the learner's and the peers' (JSON schema).
    const requests = server.requests;
    const agentRequests = requests.filter((request) => request.tools?.some((tool) => tool.function.name === "create_invoice"));
    const structuredNames = new Set(requests.map((request) => request.response_format?.json_schema?.name).filter((name) => name !== undefined));
    expect(structuredNames).toEqual(new Set(["propose_lessons", "agent_decision", "rubric_judgement"]));
    expect(requests.every((request) => request.model === "test-model")).toBe(true);

    // The agent's requests carry the lesson text only after it was merged: never in the static run
    // (the first 8 tasks' requests), never before task 5 of the learning run, and in every invoice after.
    const withLesson = agentRequests.filter((request) => request.messages.some((message) => message.role === "system" && textOf(message).includes(CENTS_LESSON.guidance)));
    const invoiceTasksAfterMerge = ["Umbrella", "Hooli", "ACME of 12.50"];
    for (const task of invoiceTasksAfterMerge) {
      expect(withLesson.some((request) => request.messages.some((message) => message.role === "user" && textOf(message).includes(task)))).toBe(true);
    }
    const firstWithLesson = agentRequests.indexOf(withLesson[0] as ChatRequest);
    const firstLearningRequest = agentRequests.length / 2; // both runs make the same number of agent calls
    expect(firstWithLesson).toBeGreaterThan(firstLearningRequest);
    // createAgent's requests (the default) have one system message, first: its prompt, then the lessons.
    for (const request of agentRequests) {
      const systems = request.messages.filter((message) => message.role === "system");
      expect(systems).toHaveLength(1);
      expect(request.messages[0]?.role).toBe("system");
      expect(textOf(systems[0]).startsWith(SYSTEM_PROMPT)).toBe(true);
    }
    const beforeMerge = agentRequests.slice(0, firstWithLesson);
    expect(beforeMerge.some((request) => JSON.stringify(request).includes("amount_cents") && request.messages.at(-1)?.role !== "tool")).toBe(false);
  });
});
