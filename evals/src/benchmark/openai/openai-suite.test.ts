// The openai suite against a real OpenAI-protocol HTTP server on 127.0.0.1:
// real ChatOpenAI clients, real requests and responses over a socket, scripted answers.
import { InMemoryLessonMemory, LessonSchema, LessonloopError, createLexicalEmbedder, type EdgeCaseInput, type EdgeCaseStore, type Episode } from "@lessonloop/core";
import { createCritic } from "@lessonloop/critic";
import { createLearner } from "@lessonloop/learner";
import {
  createManualClock,
  createSequentialIds,
  messageText,
  rejectionOf,
  startOpenAiProtocolServer,
  type ChatCompletionAnswer,
  type ChatCompletionRequest,
  type ChatCompletionResponder,
  type OpenAiProtocolServer,
} from "@lessonloop/core/testing";
import { createValidatorEnsemble, majority, type ReplayRunner } from "@lessonloop/validator-ensemble";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { finishTask } from "../environments/environment.js";
import { ENVIRONMENT_NAMES, createEnvironment } from "../environments/index.js";
import { episodeOfRun } from "../harness/episode-of-run.js";
import { createOpenAiSuite, type OpenAiSuiteParams } from "./openai-suite.js";
import { independentValidators, openAiSuiteConfigFromEnv } from "./openai-suite-config.js";
import { CENTS_LESSON, DRIFT_AT, createInvoiceWorld, invoiceWorldAnswer, structuredName } from "./testing/invoice-world.js";

let server: OpenAiProtocolServer;
let respond: ChatCompletionResponder = invoiceWorldAnswer;

beforeAll(async () => {
  server = await startOpenAiProtocolServer({ respond: (request, index) => respond(request, index) });
});
afterAll(async () => {
  await server.close();
});

let firstExchange = 0;
beforeEach(() => {
  respond = invoiceWorldAnswer;
  firstExchange = server.exchanges.length;
});
/** The exchanges of the running test. */
const exchanges = () => server.exchanges.slice(firstExchange);
/** The ids of the tool calls the server sent in the running test, in order. */
const callIds = () => exchanges().flatMap((exchange) => exchange.response?.choices[0]?.message.tool_calls?.map((call) => call.id) ?? []);

function suiteParams(overrides: Partial<OpenAiSuiteParams> = {}): OpenAiSuiteParams {
  const endpoint = { baseURL: server.baseURL, apiKey: "sk-test-secret" };
  return {
    agent: { ...endpoint, model: "agent-model" },
    learner: { ...endpoint, model: "learner-model" },
    critic: { ...endpoint, model: "critic-model" },
    validators: independentValidators({ ...endpoint, models: ["peer-model"], count: 3 }),
    maxRetries: 0,
    timeoutMs: 5_000,
    ...overrides,
  };
}

const world = createInvoiceWorld();
const clock = createManualClock("2026-01-05T09:00:00.000Z");

async function runTask(index: number, context = "", params: OpenAiSuiteParams = suiteParams()) {
  const suite = createOpenAiSuite(params);
  const task = world.tasks({ seed: 0, count: index + 1 })[index];
  if (task === undefined) throw new Error("no task");
  const session = world.open(task, index);
  const run = await suite.createAgent(world).run({ task, session, tools: world.tools, context });
  return { suite, task, run, outcome: finishTask(world, session, run.answer) };
}

function serverUsage() {
  const responses = exchanges().flatMap((exchange) => (exchange.response === undefined ? [] : [exchange.response]));
  return {
    calls: responses.length,
    promptTokens: responses.reduce((sum, response) => sum + response.usage.prompt_tokens, 0),
    completionTokens: responses.reduce((sum, response) => sum + response.usage.completion_tokens, 0),
  };
}

describe("openai suite — the agent", () => {
  it("runs a multi-step tool loop over the socket and returns the trajectory, the answer and the usage the server reported", async () => {
    const { run, outcome } = await runTask(0);

    const [lookup, invoice] = callIds();
    expect(run.trajectory.slice(1)).toEqual([
      { type: "message", role: "user", content: "Create an invoice for customer ACME of 12.50 EUR." },
      { type: "tool_call", id: lookup, name: "find_customer", args: { name: "ACME" } },
      { type: "tool_result", callId: lookup, name: "find_customer", content: '{"id":"C-1"}', isError: false },
      { type: "tool_call", id: invoice, name: "create_invoice", args: { customer_id: "C-1", amount: 12.5 } },
      { type: "tool_result", callId: invoice, name: "create_invoice", content: '{"invoice":"INV-0","customerId":"C-1","cents":1250}', isError: false },
      { type: "message", role: "assistant", content: 'Done: {"invoice":"INV-0","customerId":"C-1","cents":1250}' },
    ]);
    expect(run.trajectory[0]).toMatchObject({ type: "message", role: "system" });
    expect(run.answer).toBe('Done: {"invoice":"INV-0","customerId":"C-1","cents":1250}');
    expect(outcome.passed).toBe(true);
    expect(run.usage).toEqual(serverUsage());
    expect(run.usage.calls).toBe(3);
    expect(run.usage.promptTokens).toBeGreaterThan(0);

    // What went over the wire: the documented tools (untyped parameters), then the tool results as tool messages.
    const [first, , third] = exchanges().map((exchange) => exchange.request);
    expect(first?.model).toBe("agent-model");
    expect(first?.tools?.map((tool) => tool.function.name)).toEqual(["find_customer", "create_invoice"]);
    expect(first?.tools?.[1]?.function.parameters).toEqual({
      type: "object",
      properties: { customer_id: { description: "string: the id find_customer returned" }, amount: { description: "number: the amount in euros, e.g. 12.5" } },
      required: ["customer_id", "amount"],
    });
    expect(third?.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "tool"]);
    expect(third?.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: invoice });
  });

  it("puts the documented tools and the strategy's context in the request's system message", async () => {
    const context = `Lessons learned:\nWhen: ${CENTS_LESSON.trigger}\nDo: ${CENTS_LESSON.guidance}`;
    const { run, outcome } = await runTask(DRIFT_AT, context);

    const system = messageText(exchanges()[0]?.request.messages[0]);
    expect(exchanges()[0]?.request.messages[0]?.role).toBe("system");
    expect(system).toContain(context);
    expect(system).toContain("- create_invoice: Creates an invoice for a customer.\n    - customer_id (required): string: the id find_customer returned");
    expect(run.trajectory[0]).toEqual({ type: "message", role: "system", content: system });
    // The model followed the context: the drifted call, and the task passed.
    expect(run.trajectory.find((step) => step.type === "tool_call" && step.name === "create_invoice")).toMatchObject({ args: { amount_cents: 4200 } });
    expect(outcome.passed).toBe(true);
  });

  it("returns a tool's error as an isError tool result and sends it back to the model as a tool message", async () => {
    const { run, outcome } = await runTask(DRIFT_AT);

    const error = "Error: unknown parameter amount; this endpoint takes amount_cents (integer cents)";
    const [lookup, invoice] = callIds();
    expect(run.trajectory.filter((step) => step.type === "tool_result")).toEqual([
      { type: "tool_result", callId: lookup, name: "find_customer", content: '{"id":"C-4"}', isError: false },
      { type: "tool_result", callId: invoice, name: "create_invoice", content: error, isError: true },
    ]);
    const last = exchanges().at(-1)?.request.messages.at(-1);
    expect(last).toMatchObject({ role: "tool", tool_call_id: invoice, content: error });
    expect(run.answer).toBe(`Sorry, that did not work: ${error}`);
    expect(outcome.passed).toBe(false);
  });

  it("feeds arguments that are not a JSON object back as an error without calling the tool", async () => {
    // LangChain warns whenever a reply's tool calls are all invalid; expected here.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    respond = (request) =>
      request.messages.at(-1)?.role === "tool" ? { content: "I could not look the customer up." } : { content: null, toolCalls: [{ id: "bad-1", name: "find_customer", arguments: "{name: ACME" }] };
    const { run } = await runTask(0);

    expect(run.trajectory.slice(2)).toEqual([
      { type: "tool_call", id: "bad-1", name: "find_customer", args: {} },
      { type: "tool_result", callId: "bad-1", name: "find_customer", content: "Error: the arguments of find_customer are not a JSON object: {name: ACME", isError: true },
      { type: "message", role: "assistant", content: "I could not look the customer up." },
    ]);
  });

  it("stops after agentMaxSteps model calls without an answer", async () => {
    respond = () => ({ content: "Let me look again.", toolCalls: [{ name: "find_customer", arguments: { name: "ACME" } }] });
    const { run } = await runTask(0, "", suiteParams({ agentMaxSteps: 3 }));

    expect(run.usage.calls).toBe(3);
    expect(exchanges()).toHaveLength(3);
    expect(run.answer).toBe("");
    expect(run.trajectory.filter((step) => step.type === "tool_call")).toHaveLength(3);
    expect(run.trajectory.filter((step) => step.type === "message" && step.role === "assistant").map((step) => step.type === "message" && step.content)).toEqual([
      "Let me look again.",
      "Let me look again.",
      "Let me look again.",
    ]);
    expect(run.trajectory.at(-1)).toEqual({ type: "message", role: "system", content: "The run stopped after 3 model calls without a final answer." });
  });

  it("honours the abort signal while a request is in flight", async () => {
    respond = () => new Promise<ChatCompletionAnswer>((resolve) => setTimeout(() => resolve({ content: "late" }), 3_000));
    const suite = createOpenAiSuite(suiteParams());
    const task = world.tasks({ seed: 0, count: 1 })[0];
    if (task === undefined) throw new Error("no task");
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop the run")), 100);
    const started = Date.now();

    const error = await rejectionOf(suite.createAgent(world).run({ task, session: world.open(task, 0), tools: world.tools, context: "", signal: controller.signal }));

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(String(error)).toMatch(/abort|stop the run/i);
  });

  it.each(ENVIRONMENT_NAMES)("binds the documented tools of the real %s world and runs its tools in a session", async (name) => {
    const environment = createEnvironment(name);
    const [tool] = environment.tools;
    respond = (request) => (request.messages.at(-1)?.role === "tool" ? { content: "Done." } : { content: null, toolCalls: [{ name: tool?.name ?? "", arguments: {} }] });
    const task = environment.tasks({ seed: 1, count: 1 })[0];
    if (task === undefined || tool === undefined) throw new Error(`${name} has no task or no tool`);
    const session = environment.open(task, 0);

    const run = await createOpenAiSuite(suiteParams()).createAgent(environment).run({ task, session, tools: environment.tools, context: "" });

    const [asked] = exchanges();
    expect(asked?.request.tools?.map((bound) => bound.function.name)).toEqual(environment.tools.map((documented) => documented.name));
    expect(messageText(asked?.request.messages[1])).toBe(task.request);
    expect(run.trajectory.filter((step) => step.type === "tool_result").map((step) => step.type === "tool_result" && step.name)).toEqual([tool.name]);
    expect(run.answer).toBe("Done.");
    expect(typeof finishTask(environment, session, run.answer).passed).toBe("boolean");
  });

  it("replays with the validator's own model, and copies of one model differ by seed, with no temperature sent", async () => {
    const suite = createOpenAiSuite(suiteParams());
    expect(suite.validators.map(({ id, errorRate }) => ({ id, errorRate }))).toEqual([
      { id: "validator-1", errorRate: 0 },
      { id: "validator-2", errorRate: 0 },
      { id: "validator-3", errorRate: 0 },
    ]);
    const task = world.tasks({ seed: 0, count: 1 })[0];
    if (task === undefined) throw new Error("no task");
    for (const validator of suite.validators) {
      await suite.createReplayAgent(world, validator).run({ task, session: world.open(task, 0), tools: world.tools, context: "" });
    }

    const sampling = exchanges().map(({ request }) => `${request.model} ${Object.hasOwn(request, "temperature") ? "temperature sent" : "no temperature"} seed=${String(request.seed)}`);
    expect(new Set(sampling)).toEqual(new Set(["peer-model no temperature seed=1", "peer-model no temperature seed=2", "peer-model no temperature seed=3"]));
    expect(() => suite.createReplayAgent(world, { id: "modelless", errorRate: 0 })).toThrow(/modelless.*has no model/);
  });
});

describe("openai suite — sampling temperature", () => {
  /** What went over the wire: each request's model (and seed, for peers) and its temperature, or that none was sent. */
  const sentTemperatures = () =>
    Object.fromEntries(
      exchanges().map(({ request }) => [
        request.seed === undefined ? request.model : `${request.model}#${request.seed}`,
        Object.hasOwn(request, "temperature") ? request.temperature : "not sent",
      ]),
    );

  async function askEveryRole(params: OpenAiSuiteParams) {
    respond = () => "ok";
    const suite = createOpenAiSuite(params);
    const task = world.tasks({ seed: 0, count: 1 })[0];
    if (task === undefined) throw new Error("no task");
    await suite.createAgent(world).run({ task, session: world.open(task, 0), tools: world.tools, context: "" });
    await suite.learnerModel.invoke("hello");
    await suite.criticModel?.invoke("hello");
    for (const { model } of suite.validators) await model?.invoke("hello");
    return suite;
  }

  it("sends no temperature for a role that sets none", async () => {
    const suite = await askEveryRole(suiteParams());

    expect(sentTemperatures()).toEqual({
      "agent-model": "not sent",
      "learner-model": "not sent",
      "critic-model": "not sent",
      "peer-model#1": "not sent",
      "peer-model#2": "not sent",
      "peer-model#3": "not sent",
    });
    expect(suite.parameters).toMatchObject({ agentModel: "agent-model (t=server default)", validatorModels: "peer-model (t=server default, seed=1), peer-model (t=server default, seed=2), peer-model (t=server default, seed=3)" });
  });

  it("sends each role the temperature set for it, 0 included", async () => {
    const endpoint = { baseURL: server.baseURL, apiKey: "sk-test-secret" };
    await askEveryRole(
      suiteParams({
        agent: { ...endpoint, model: "agent-model", temperature: 0 },
        learner: { ...endpoint, model: "learner-model", temperature: 0.3 },
        validators: independentValidators({ ...endpoint, models: ["peer-model"], count: 2, temperatures: [0.2, 0.8] }),
      }),
    );

    expect(sentTemperatures()).toEqual({ "agent-model": 0, "learner-model": 0.3, "critic-model": "not sent", "peer-model#1": 0.2, "peer-model#2": 0.8 });
  });
});

describe("openai suite — the validators' votes", () => {
  it("a peer's vote records the model it replayed with, not the client's class", async () => {
    const endpoint = { baseURL: server.baseURL, apiKey: "sk-test-secret" };
    const suite = createOpenAiSuite(suiteParams({ validators: [{ ...endpoint, model: "gpt-test-mini" }] }));
    const task = world.tasks({ seed: 0, count: DRIFT_AT + 1 })[DRIFT_AT];
    if (task === undefined) throw new Error("no task");
    // The replay runs the peer's own model over the socket; the case passes when the invoice call goes through.
    const runner: ReplayRunner = {
      async replay({ lesson, validator, signal }) {
        const peer = suite.validators.find((spec) => spec.id === validator.id);
        if (peer === undefined) throw new Error(`no peer ${validator.id}`);
        const context = lesson === undefined ? "" : `Lessons learned:\nWhen: ${lesson.trigger}\nDo: ${lesson.guidance}`;
        const run = await suite.createReplayAgent(world, peer).run({ task, session: world.open(task, DRIFT_AT), tools: world.tools, context, signal });
        return { passed: run.trajectory.some((step) => step.type === "tool_result" && step.name === "create_invoice" && !step.isError) };
      },
    };
    const noStoredCases: EdgeCaseStore = {
      add: async () => {},
      get: async (id) => {
        throw new LessonloopError("not_found", `no edge case ${id}`);
      },
      findRelevant: async () => [],
      count: async () => 0,
    };
    const motivatingCase: EdgeCaseInput = {
      id: "invoice-in-cents",
      input: task.request,
      check: { type: "answer", mustContain: ["INV-"], mustNotContain: [] },
      kind: "must_pass",
      scope: task.scope,
      tags: [],
      createdAt: clock.now().toISOString(),
    };
    const lesson = LessonSchema.parse({
      id: "cents",
      trigger: CENTS_LESSON.trigger,
      guidance: CENTS_LESSON.guidance,
      kind: CENTS_LESSON.kind,
      scope: task.scope,
      evidence: ["api-drift.3"],
      provenance: { agent: "bench-learner", model: "learner-model", proposedAt: clock.now().toISOString() },
      createdAt: clock.now().toISOString(),
    });
    const ensemble = createValidatorEnsemble({
      validators: suite.validators.map(({ id, model }) => ({ id, model })),
      runner,
      edgeCaseStore: noStoredCases,
      policy: majority({ quorum: 1 }),
      clock,
    });

    const { verdict } = await ensemble.invoke({ lesson, proposer: "bench-learner", motivatingCases: [motivatingCase] });

    expect(verdict?.votes.map(({ validator, decision, model }) => ({ validator, decision, model }))).toEqual([{ validator: "validator-1", decision: "approve", model: "gpt-test-mini" }]);
    expect(new Set(exchanges().map(({ request }) => request.model))).toEqual(new Set(["gpt-test-mini"]));
  });
});

describe("openai suite — learner, critic and reflector", () => {
  async function failedEpisode(): Promise<Episode> {
    const { task, run, outcome } = await runTask(DRIFT_AT);
    return episodeOfRun({ id: "api-drift.3", task, run, signals: outcome.signals, memoryVersion: 0, servedLessons: [], clock });
  }

  async function learn(params: OpenAiSuiteParams) {
    const episode = await failedEpisode();
    const suite = createOpenAiSuite(params);
    const before = exchanges().length;
    const { judgement } = await createCritic({ model: suite.criticModel ?? undefined, clock })({ episode });
    const learner = createLearner({ model: suite.learnerModel, memory: new InMemoryLessonMemory({ embedder: createLexicalEmbedder() }), agentName: "bench-learner", ids: createSequentialIds("t"), clock });
    const update = await learner({ episode, judgement });
    return { suite, update, learning: exchanges().slice(before) };
  }

  it("the learner node's structured call goes through the server as a forced tool call, and a lesson comes out", async () => {
    const { suite, update, learning } = await learn(suiteParams());

    expect(update.candidates.map(({ trigger, guidance, kind, status }) => ({ trigger, guidance, kind, status }))).toEqual([
      { trigger: CENTS_LESSON.trigger, guidance: CENTS_LESSON.guidance, kind: "recovery", status: "proposed" },
    ]);
    // The environment's signal decided the outcome: the critic's judge was not asked.
    expect(learning.map(({ request }) => `${request.model}:${structuredName(request) ?? "-"}`)).toEqual(["learner-model:propose_lessons"]);
    expect(learning[0]?.request.tool_choice).toEqual({ type: "function", function: { name: "propose_lessons" } });
    expect(learning[0]?.request.response_format).toBeUndefined();
    expect(messageText(learning[0]?.request.messages.at(-1))).toContain("unknown parameter amount");
    const response = learning[0]?.response;
    expect(suite.learningUsage()).toEqual({ calls: 1, promptTokens: response?.usage.prompt_tokens, completionTokens: response?.usage.completion_tokens });
  });

  it.each([
    ["jsonSchema", { type: "json_schema", name: "propose_lessons" }],
    ["jsonMode", { type: "json_object", name: undefined }],
  ] as const)("asks for %s output instead when configured", async (structuredOutput, format) => {
    // JSON-schema requests are named by their schema; a JSON-mode request names nothing, so it is answered as the learner.
    if (structuredOutput === "jsonMode") respond = (request) => (request.response_format?.type === "json_object" ? { content: JSON.stringify({ lessons: [CENTS_LESSON] }) } : invoiceWorldAnswer(request));
    const { update, learning } = await learn(suiteParams({ structuredOutput }));

    expect(update.candidates.map((lesson) => lesson.guidance)).toEqual([CENTS_LESSON.guidance]);
    expect(learning[0]?.request.tools).toBeUndefined();
    expect(learning[0]?.request.response_format?.type).toBe(format.type);
    expect(learning[0]?.request.response_format?.json_schema?.name).toBe(format.name);
  });

  it("the critic's judge is asked when no deterministic signal decides, and its calls count as learning usage", async () => {
    respond = (request: ChatCompletionRequest) =>
      structuredName(request) === "judge_episode"
        ? { content: null, toolCalls: [{ name: "judge_episode", arguments: { status: "failure", summary: "The invoice went to the wrong customer.", failingStep: 4 } }] }
        : invoiceWorldAnswer(request);
    const suite = createOpenAiSuite(suiteParams());
    // A run without a tool error, and nobody said how it went: nothing deterministic decides.
    const { task, run } = await runTask(0);
    const episode = episodeOfRun({ id: "api-drift.0", task, run, signals: {}, memoryVersion: 0, servedLessons: [], clock });
    const before = exchanges().length;

    const { judgement } = await createCritic({ model: suite.criticModel ?? undefined, clock })({ episode });

    expect(judgement.status).toBe("failure");
    expect(judgement.summary).toBe("The invoice went to the wrong customer.");
    const judged = exchanges().slice(before);
    expect(judged.map(({ request }) => request.model)).toEqual(["critic-model"]);
    expect(suite.learningUsage()).toEqual({ calls: 1, promptTokens: judged[0]?.response?.usage.prompt_tokens, completionTokens: judged[0]?.response?.usage.completion_tokens });
  });

  it("the reflector asks the agent's model about the failed episode, tool output marked untrusted", async () => {
    const reflection = "I sent amount although the API now takes amount_cents. Next time send integer cents as amount_cents.";
    respond = (request) => (request.tools === undefined ? { content: `  ${reflection}\n` } : invoiceWorldAnswer(request));
    const episode = await failedEpisode();
    const suite = createOpenAiSuite(suiteParams());
    const before = exchanges().length;

    const { text, usage } = await suite.reflector.reflect(episode);

    expect(text).toBe(reflection);
    const [asked] = exchanges().slice(before);
    expect(asked?.request.model).toBe("agent-model");
    expect(messageText(asked?.request.messages[0])).toMatch(/what went wrong, and what to do differently next time/);
    const prompt = messageText(asked?.request.messages[1]);
    expect(prompt).toContain("<task>\nCreate an invoice for customer Umbrella of 42.00 EUR.\n</task>");
    expect(prompt).toContain('<tool_output untrusted="true">Error: unknown parameter amount; this endpoint takes amount_cents (integer cents)</tool_output>');
    expect(prompt).toContain('<operator_report untrusted="true">no invoice was created</operator_report>');
    expect(usage).toEqual({ calls: 1, promptTokens: asked?.response?.usage.prompt_tokens, completionTokens: asked?.response?.usage.completion_tokens });
    // Reflections are the reflection strategy's own usage, not the learner's or critic's.
    expect(suite.learningUsage().calls).toBe(0);
  });
});

describe("openai suite — settings", () => {
  const base = { LESSONLOOP_OPENAI_BASE_URL: "http://127.0.0.1:8000/v1", LESSONLOOP_OPENAI_API_KEY: "sk-local", LESSONLOOP_MODEL: "qwen2.5-7b" };

  it("reads every role from the shared variables, with independent peers", () => {
    const endpoint = { baseURL: "http://127.0.0.1:8000/v1", apiKey: "sk-local" };
    expect(openAiSuiteConfigFromEnv({ ...base, UNRELATED: "x" })).toEqual({
      agent: { ...endpoint, model: "qwen2.5-7b" },
      learner: { ...endpoint, model: "qwen2.5-7b" },
      critic: { ...endpoint, model: "qwen2.5-7b" },
      validators: [
        { ...endpoint, model: "qwen2.5-7b", seed: 1 },
        { ...endpoint, model: "qwen2.5-7b", seed: 2 },
        { ...endpoint, model: "qwen2.5-7b", seed: 3 },
      ],
    });
  });

  it("reads a temperature per role, LESSONLOOP_TEMPERATURE standing in for the roles that set none", () => {
    const config = openAiSuiteConfigFromEnv({
      ...base,
      LESSONLOOP_TEMPERATURE: "0.7",
      LESSONLOOP_AGENT_TEMPERATURE: "0",
      LESSONLOOP_CRITIC_TEMPERATURE: " 1.5 ",
      LESSONLOOP_VALIDATOR_TEMPERATURES: "0.2, 0.5,.8",
    });
    expect([config.agent, config.learner, config.critic].map((role) => role?.temperature)).toEqual([0, 0.7, 1.5]);
    expect(config.validators.map(({ temperature, seed }) => `${String(temperature)}#${String(seed)}`)).toEqual(["0.2#1", "0.5#2", "0.8#3"]);
  });

  it("gives peers of different models the shared temperature, and copies of one model only temperatures that differ", () => {
    const shared = openAiSuiteConfigFromEnv({ ...base, LESSONLOOP_TEMPERATURE: "0.4", LESSONLOOP_VALIDATOR_MODELS: "peer-a,peer-b" });
    expect(shared.validators.map(({ model, temperature }) => `${model}@${String(temperature)}`)).toEqual(["peer-a@0.4", "peer-b@0.4"]);
    expect(() => independentValidators({ baseURL: base.LESSONLOOP_OPENAI_BASE_URL, apiKey: "k", models: ["m"], count: 2, temperatures: [0.5, 0.5] })).toThrow(
      /validator-1, validator-2 \(copies of m\) one temperature, 0.5/,
    );
    expect(() => independentValidators({ baseURL: base.LESSONLOOP_OPENAI_BASE_URL, apiKey: "k", models: ["m"], temperatures: [0.5] })).toThrow(/1 temperatures for 3 peers/);
  });

  it("lets each role have its own model and endpoint, and the critic none", () => {
    const config = openAiSuiteConfigFromEnv({
      ...base,
      LESSONLOOP_AGENT_MODEL: "small",
      LESSONLOOP_LEARNER_MODEL: "large",
      LESSONLOOP_LEARNER_BASE_URL: "http://10.0.0.2:8001/v1",
      LESSONLOOP_LEARNER_API_KEY: "sk-learner",
      LESSONLOOP_CRITIC_MODEL: "none",
      LESSONLOOP_VALIDATOR_MODELS: "peer-a, peer-b,peer-a",
      LESSONLOOP_STRUCTURED_OUTPUT: "jsonMode",
      LESSONLOOP_OPENAI_TIMEOUT_MS: "2500",
      LESSONLOOP_AGENT_API_KEY: "",
    });
    expect(config.agent).toEqual({ baseURL: "http://127.0.0.1:8000/v1", apiKey: "sk-local", model: "small" });
    expect(config.learner).toEqual({ baseURL: "http://10.0.0.2:8001/v1", apiKey: "sk-learner", model: "large" });
    expect(config.critic).toBeNull();
    expect(config.validators.map(({ model, temperature, seed }) => `${model}@${String(temperature)}#${String(seed)}`)).toEqual(["peer-a@undefined#1", "peer-b@undefined#2", "peer-a@undefined#3"]);
    expect(config.structuredOutput).toBe("jsonMode");
    expect(config.timeoutMs).toBe(2500);
    expect(createOpenAiSuite(config).criticModel).toBeNull();
  });

  it.each([
    ["the API key", { LESSONLOOP_OPENAI_API_KEY: undefined }, /set LESSONLOOP_OPENAI_API_KEY \(or LESSONLOOP_AGENT_API_KEY, LESSONLOOP_LEARNER_API_KEY, LESSONLOOP_CRITIC_API_KEY, LESSONLOOP_VALIDATOR_API_KEY\) to/],
    ["the base URL", { LESSONLOOP_OPENAI_BASE_URL: "" }, /set LESSONLOOP_OPENAI_BASE_URL \(or LESSONLOOP_AGENT_BASE_URL, LESSONLOOP_LEARNER_BASE_URL, LESSONLOOP_CRITIC_BASE_URL, LESSONLOOP_VALIDATOR_BASE_URL\) to/],
    ["the model", { LESSONLOOP_MODEL: undefined }, /set LESSONLOOP_MODEL \(or LESSONLOOP_AGENT_MODEL, LESSONLOOP_LEARNER_MODEL, LESSONLOOP_CRITIC_MODEL, LESSONLOOP_VALIDATOR_MODELS\) to/],
    ["a base URL that is not a URL", { LESSONLOOP_OPENAI_BASE_URL: "localhost:8000" }, /LESSONLOOP_OPENAI_BASE_URL: must be an http\(s\) URL/],
    ["a count next to several models", { LESSONLOOP_VALIDATOR_MODELS: "a,b", LESSONLOOP_VALIDATOR_COUNT: "4" }, /LESSONLOOP_VALIDATOR_COUNT applies only when/],
    ["an unknown structured-output method", { LESSONLOOP_STRUCTURED_OUTPUT: "xml" }, /LESSONLOOP_STRUCTURED_OUTPUT/],
    ["a temperature that is not a number", { LESSONLOOP_AGENT_TEMPERATURE: "warm" }, /LESSONLOOP_AGENT_TEMPERATURE: must be a number from 0 to 2, e\.g\. 0\.7/],
    ["a temperature above 2", { LESSONLOOP_TEMPERATURE: "2.5" }, /LESSONLOOP_TEMPERATURE: must be a number from 0 to 2/],
    ["a peer temperature that is not a number", { LESSONLOOP_VALIDATOR_TEMPERATURES: "0.2,,0.8" }, /LESSONLOOP_VALIDATOR_TEMPERATURES: must be numbers from 0 to 2 separated by commas/],
    [
      "fewer peer temperatures than peers",
      { LESSONLOOP_VALIDATOR_TEMPERATURES: "0.2,0.8" },
      /LESSONLOOP_VALIDATOR_TEMPERATURES gives 2 temperatures for 3 peers \(qwen2\.5-7b, qwen2\.5-7b, qwen2\.5-7b\): give one a peer, in order/,
    ],
    [
      "one shared temperature for copies of one model",
      { LESSONLOOP_TEMPERATURE: "0" },
      /LESSONLOOP_TEMPERATURE gives validator-1, validator-2, validator-3 \(copies of qwen2\.5-7b\) one temperature, 0, so they would vote alike: set LESSONLOOP_VALIDATOR_TEMPERATURES to one temperature a peer, different for copies of one model, e\.g\. 0\.2,0\.5,0\.8/,
    ],
    [
      "peer temperatures that repeat for copies of one model",
      { LESSONLOOP_VALIDATOR_MODELS: "peer-a,peer-b,peer-a", LESSONLOOP_VALIDATOR_TEMPERATURES: "0.5,0.5,0.5" },
      /LESSONLOOP_VALIDATOR_TEMPERATURES gives validator-1, validator-3 \(copies of peer-a\) one temperature, 0\.5/,
    ],
  ])("without %s: a clear invalid_input error naming the variable", async (_what, change, message) => {
    const error = await rejectionOf(async () => openAiSuiteConfigFromEnv({ ...base, ...change }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect(String((error as Error).message)).toMatch(message);
  });

  it("names the role a missing per-role setting leaves unconfigured", async () => {
    const error = await rejectionOf(async () => openAiSuiteConfigFromEnv({ LESSONLOOP_OPENAI_BASE_URL: "http://127.0.0.1:8000/v1", LESSONLOOP_OPENAI_API_KEY: "k", LESSONLOOP_AGENT_MODEL: "a", LESSONLOOP_LEARNER_MODEL: "l", LESSONLOOP_CRITIC_MODEL: "none" }));
    expect((error as Error).message).toBe(
      "The openai benchmark mode is not configured: set LESSONLOOP_MODEL (or LESSONLOOP_VALIDATOR_MODELS) to the model name the endpoint serves.",
    );
  });

  it("prints the settings but never the key or the URL's credentials", () => {
    const suite = createOpenAiSuite(
      suiteParams({ agent: { baseURL: "https://user:pass@models.example.com/v1/?token=abc", apiKey: "sk-test-secret", model: "agent-model" } }),
    );
    const printed = JSON.stringify(suite.parameters);
    expect(suite.mode).toBe("openai");
    expect(suite.parameters).toMatchObject({
      agentModel: "agent-model (t=server default)",
      agentEndpoint: "https://models.example.com/v1",
      criticModel: "critic-model (t=server default)",
      validators: 3,
      validatorModels: "peer-model (t=server default, seed=1), peer-model (t=server default, seed=2), peer-model (t=server default, seed=3)",
      structuredOutput: "functionCalling",
    });
    for (const secret of ["sk-test-secret", "pass", "token"]) expect(printed).not.toContain(secret);
  });

  it("rejects bad params with the field named", async () => {
    const error = await rejectionOf(async () => createOpenAiSuite(suiteParams({ validators: [] })));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/validators: needs at least one validator/);
  });
});
