/**
 * A prebuilt tool-calling agent on a billing API that changes after the third
 * task, run twice over the same tasks: as it is, and with lessonloop dropped in.
 * The agent is LangChain v1's `createAgent` with `lessonloopMiddleware(loop, …)`
 * (the default), or — the legacy path — LangGraph's `createReactAgent` wrapped
 * by `withLearning(agent, { loop, … })`. Returns what happened as data and
 * prints it through `print`.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { createAgent } from "langchain";
import type { Episode } from "@lessonloop/core";
import type { LearningResult } from "lessonloop";
import { createLearningLoop, lessonloopMiddleware, withLearning } from "lessonloop";
import {
  AGENT_DESCRIPTION,
  CHANGE_AFTER_TASK,
  TASKS,
  TOOL_DESCRIPTIONS,
  createBillingApi,
  createSimulatedAgentModel,
  createSimulatedLearnerModel,
  createSimulatedPeerModel,
} from "./billing-world.js";

/** The models of a run: the agent's, the learner's and one per peer validator. */
export interface ExampleModels {
  agent: BaseChatModel;
  learner: BaseChatModel;
  /** Independent instances, never the learner's own. */
  validators: BaseChatModel[];
  /** Shown in the header, e.g. "simulated" or the real model's name. */
  label: string;
}

/** Which agent API the example builds on. */
export type AgentApi =
  /** LangChain v1 `createAgent` with `lessonloopMiddleware` (the current API). */
  | "createAgent"
  /** LangGraph's `createReactAgent` (deprecated in LangGraph v1) wrapped by `withLearning`. */
  | "createReactAgent";

/** What both agent APIs give the example: a run on a task's messages. */
interface BillingAgent {
  invoke(input: { messages: BaseMessage[] }): Promise<{ messages: BaseMessage[] }>;
}

export interface RunDropInReactAgentParams {
  /** Default `"createAgent"`; `"createReactAgent"` runs the legacy path. */
  api?: AgentApi;
  /** Default: the simulated models of `billing-world.ts`. */
  models?: ExampleModels;
  /** A running Chroma server; default: the loop starts an embedded one. */
  chromaUrl?: string | undefined;
  /** The lesson memory's name; give each run its own on a shared server. */
  memoryName?: string;
  /** The tasks, in order. */
  tasks?: readonly string[];
  /** The billing API changes after this many tasks. */
  changeAfter?: number;
  /** Where the report goes. */
  print?: (line: string) => void;
}

/** How one task went for one agent. */
export interface TaskOutcome {
  status: "ok" | "recovered" | "failed";
  /** The last tool result (or the agent's answer when it called no tool). */
  detail: string;
  /** Ids of the lessons that were in the agent's prompt. */
  lessonsServed: string[];
}

export interface EpisodeRow {
  task: string;
  /** Whether the API had already changed when the task ran. */
  afterChange: boolean;
  static: TaskOutcome;
  learning: TaskOutcome;
}

/** The lesson that made the difference. */
export interface MergedLesson {
  id: string;
  trigger: string;
  guidance: string;
  /** The task after which it was learned (1-based). */
  learnedAfterTask: number;
  /** The memory snapshot version its merge created. */
  version: number;
  votes: { validator: string; decision: string; reason: string; evidence: { caseId: string; passedWithout: boolean | null; passedWith: boolean | null }[] }[];
  decision: string;
}

export interface DropInReactAgentResult {
  rows: EpisodeRow[];
  lessons: MergedLesson[];
  /** The memory's history, oldest first, as printed. */
  history: { version: number; kind: string; reason: string; author: string }[];
  totals: { static: number; learning: number; tasks: number };
}

export function simulatedModels(): ExampleModels {
  return {
    agent: createSimulatedAgentModel(),
    learner: createSimulatedLearnerModel(),
    validators: ["peer-a", "peer-b", "peer-c"].map(createSimulatedPeerModel),
    label: "simulated (offline)",
  };
}

/** Where a real model is served: any OpenAI-compatible chat-completions endpoint. */
export interface OpenAIEndpoint {
  model: string;
  apiKey?: string | undefined;
  /** e.g. `http://127.0.0.1:8000/v1`; default: OpenAI's. */
  baseURL?: string | undefined;
}

/** The same real model for the agent, the learner and three peers (separate instances: the learner never votes). */
export function openAIModels({ model, apiKey = "not-needed", baseURL }: OpenAIEndpoint): ExampleModels {
  const create = () => new ChatOpenAI({ model, apiKey, temperature: 0, ...(baseURL === undefined ? {} : { configuration: { baseURL } }) });
  return { agent: create(), learner: create(), validators: [create(), create(), create()], label: model };
}

function content(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/** What the run's messages show: the tool calls' results, in order. */
export function outcomeOf(messages: readonly BaseMessage[], lessonsServed: string[] = []): TaskOutcome {
  const results = messages.filter((message) => message.getType() === "tool");
  const last = results.at(-1);
  if (last === undefined) return { status: "failed", detail: content(messages.at(-1) ?? new HumanMessage("")), lessonsServed };
  const failedCall = (message: BaseMessage) => content(message).startsWith("Error");
  const detail = content(last).replace(/^Error: /, "").replace(/\s*Please fix your mistakes\.?$/, "");
  if (failedCall(last)) return { status: "failed", detail, lessonsServed };
  return { status: results.some(failedCall) ? "recovered" : "ok", detail, lessonsServed };
}

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function cell(outcome: TaskOutcome): string {
  const mark = outcome.status === "failed" ? "✗ failed" : outcome.status === "recovered" ? "✓ recovered" : "✓ ok";
  return outcome.lessonsServed.length > 0 ? `${mark} (lesson in prompt)` : mark;
}

export const SYSTEM_PROMPT = "You are the billing agent of a small shop. Use the billing tools to do what the customer asks.";

export async function runDropInReactAgent({
  api = "createAgent",
  models = simulatedModels(),
  chromaUrl,
  memoryName = "drop-in-react-agent",
  tasks = TASKS,
  changeAfter = CHANGE_AFTER_TASK,
  print = console.log,
}: RunDropInReactAgentParams = {}): Promise<DropInReactAgentResult> {
  const llm = models.agent;

  // ── 1. The agent as it is ────────────────────────────────────────────────
  const staticApi = createBillingApi();
  const agent: BillingAgent =
    api === "createAgent" ? createAgent({ model: llm, tools: staticApi.tools, systemPrompt: SYSTEM_PROMPT }) : createReactAgent({ llm, tools: staticApi.tools });
  const staticOutcomes: TaskOutcome[] = [];
  for (const [index, task] of tasks.entries()) {
    if (index === changeAfter) staticApi.upgrade();
    const result = await agent.invoke({ messages: [new HumanMessage(task)] });
    staticOutcomes.push(outcomeOf(result.messages));
  }

  // ── 2. The same agent with lessonloop dropped in ──────────────────────────
  const learningApi = createBillingApi();
  const loop = await createLearningLoop({
    learnerModel: models.learner,
    validatorModels: models.validators,
    criticModel: null, // tool errors decide what failed
    agentDescription: AGENT_DESCRIPTION,
    tools: TOOL_DESCRIPTIONS,
    memoryName,
    chromaUrl,
  });
  const learned: { task: number; result: LearningResult }[] = [];
  let taskNumber = 0;
  const unsubscribe = loop.subscribe((event) => {
    if (event.type === "episode_learned") learned.push({ task: taskNumber, result: event.result });
    if (event.type === "learning_failed") print(`  (learning from task ${taskNumber} failed: ${String(event.error)})`);
  });
  const served: string[][] = [];
  const learningOptions = {
    scope: { tenant: "acme", agent: "billing" },
    learning: "sync", // learn before the next task starts (the default, "background", learns off the hot path)
    retriever: { timeoutMs: 5_000 },
    onEpisode: (episode: Episode) => served.push([...(episode.servedLessons ?? [])]),
  } as const;
  const learningAgent: BillingAgent =
    api === "createAgent"
      ? createAgent({ model: llm, tools: learningApi.tools, systemPrompt: SYSTEM_PROMPT, middleware: [lessonloopMiddleware(loop, learningOptions)] })
      : withLearning(createReactAgent({ llm, tools: learningApi.tools }), { loop, ...learningOptions });

  const rows: EpisodeRow[] = [];
  try {
    print(`Agent: ${api === "createAgent" ? "createAgent + lessonloopMiddleware" : "createReactAgent + withLearning (legacy)"}, model ${models.label}.`);
    print(`The billing API changes after task ${changeAfter}: create_invoice then wants amount_cents.`);
    if (loop.chroma !== undefined) print(`Lesson memory: Chroma at ${loop.chroma.url}`);
    for (const [index, task] of tasks.entries()) {
      taskNumber = index + 1;
      if (index === changeAfter) learningApi.upgrade();
      const result = await learningAgent.invoke({ messages: [new HumanMessage(task)] });
      const learning = outcomeOf(result.messages, served.at(-1) ?? []);
      rows.push({ task, afterChange: index >= changeAfter, static: staticOutcomes[index] as TaskOutcome, learning });
    }
    unsubscribe();

    const lessons: MergedLesson[] = [];
    for (const { task, result } of learned) {
      for (const { lesson, verdict, outcome } of result.lessons) {
        if (outcome.status !== "merged") continue;
        lessons.push({
          id: outcome.lessonId,
          trigger: lesson.trigger,
          guidance: lesson.guidance,
          learnedAfterTask: task,
          version: outcome.snapshot.version,
          decision: verdict.decision,
          votes: verdict.votes.map((vote) => ({
            validator: vote.validator,
            decision: vote.decision,
            reason: vote.reason,
            evidence: vote.evidence.map(({ caseId, passedWithout, passedWith }) => ({ caseId, passedWithout, passedWith })),
          })),
        });
      }
    }
    const history = [...(await loop.memory.history())].sort((a, b) => a.version - b.version).map((snapshot) => ({
      version: snapshot.version,
      kind: snapshot.kind,
      reason: snapshot.reason,
      author: snapshot.author,
    }));
    const totals = {
      static: rows.filter((row) => row.static.status !== "failed").length,
      learning: rows.filter((row) => row.learning.status !== "failed").length,
      tasks: rows.length,
    };
    report({ rows, lessons, history, totals }, print);
    return { rows, lessons, history, totals };
  } finally {
    unsubscribe();
    await loop.close();
  }
}

function report({ rows, lessons, history, totals }: DropInReactAgentResult, print: (line: string) => void): void {
  print("");
  print(` #  ${pad("task", 44)} ${pad("as it is", 22)} with lessonloop`);
  for (const [index, row] of rows.entries()) {
    if (row.afterChange && rows[index - 1]?.afterChange === false) print(`    ${"─".repeat(28)} the billing API changes ${"─".repeat(28)}`);
    const learnedHere = lessons.filter((lesson) => lesson.learnedAfterTask === index + 1);
    const note = learnedHere.length > 0 ? `  → lesson learned (memory v${learnedHere.map((lesson) => lesson.version).join(", v")})` : "";
    print(`${String(index + 1).padStart(2)}  ${pad(row.task, 44)} ${pad(cell(row.static), 22)} ${cell(row.learning)}${note}`);
  }
  print("");
  print(`Succeeded: as it is ${totals.static}/${totals.tasks}, with lessonloop ${totals.learning}/${totals.tasks}.`);
  const firstFailure = rows.find((row) => row.static.status === "failed");
  if (firstFailure !== undefined) print(`The error: ${firstFailure.static.detail}`);
  for (const lesson of lessons) {
    print("");
    print(`The lesson that made the difference (learned after task ${lesson.learnedAfterTask}, merged as memory v${lesson.version}):`);
    print(`  when: ${lesson.trigger}`);
    print(`  do:   ${lesson.guidance}`);
    print(`  votes (${lesson.decision}):`);
    for (const vote of lesson.votes) {
      const cases = vote.evidence.map((item) => `without ${mark(item.passedWithout)} / with ${mark(item.passedWith)}`).join("; ");
      print(`    ${pad(vote.validator, 8)} ${pad(vote.decision, 8)} ${cases === "" ? "" : `[${cases}] `}${vote.reason}`);
    }
  }
  print("");
  print("Memory history:");
  for (const entry of history) print(`  v${entry.version} ${entry.kind} by ${entry.author}: ${entry.reason}`);
}

function mark(passed: boolean | null): string {
  return passed === null ? "?" : passed ? "pass" : "fail";
}
