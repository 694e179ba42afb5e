import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/api-drift.js";
import { finishTask, type Environment, type Task } from "../environments/environment.js";
import { createPolicyShiftEnvironment } from "../environments/policy-shift.js";
import { createUserPreferencesEnvironment } from "../environments/user-preferences.js";
import { parseDirectives, type Directive } from "./lesson-language.js";
import { paraphrasesOf } from "./paraphrase.js";
import { createSimAgent } from "./sim-agent.js";
import { exampleOf, lessonContextOf } from "./testing/lesson-context.js";

const api = createApiDriftEnvironment();
const stream = api.tasks({ seed: 5, count: 400 });
const RENAME = 'When calling create_invoice, send the field "amount_minor" instead of "amount". When calling create_invoice, multiply "amount" by 100 before sending it.';
const GRAMS = 'When calling ship_order, multiply "weight" by 1000 before sending it.';

async function attempt(environment: Environment, agent: ReturnType<typeof createSimAgent>, task: Task, at: number, context: string) {
  const session = environment.open(task, at);
  const run = await agent.run({ task, session, tools: environment.tools, context });
  return { run, outcome: finishTask(environment, session, run.answer) };
}

const withoutSystem = (steps: readonly { type: string; role?: string }[]) => steps.filter((step) => !(step.type === "message" && step.role === "system"));

describe("the simulated agent", () => {
  const perfect = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
  const invoice = stream.find((task) => task.kind === "invoice") as Task;

  it("changes its calls only through directives in its context", async () => {
    expect((await attempt(api, perfect, invoice, 40, "")).outcome.passed).toBe(false);
    expect((await attempt(api, perfect, invoice, 40, "Invoices now take amounts in cents under a new name.")).outcome.passed).toBe(false);
    const taught = await attempt(api, perfect, invoice, 40, `Lessons:\n1. When: invoicing\n   Do: ${RENAME}`);
    expect(taught.outcome.passed).toBe(true);
    const call = taught.run.trajectory.find((step) => step.type === "tool_call" && step.name === "create_invoice");
    expect(call?.type === "tool_call" && call.args).toMatchObject({ amount_minor: expect.any(Number) });
    expect(call?.type === "tool_call" && "amount" in call.args).toBe(false);
    // The task's own words never teach it: a request is not a lesson.
    expect((await attempt(api, perfect, { ...invoice, request: invoice.request }, 40, "")).outcome.passed).toBe(false);
  });

  it("uses a name another lesson defines, and leaves a parameter out when nothing defines its name", async () => {
    const pre = stream.find((task) => task.kind === "invoice" && task.index < 30) as Task;
    const cc = async (context: string) => {
      const { run, outcome } = await attempt(api, perfect, pre, pre.index, context);
      const sent = run.trajectory.find((step) => step.type === "tool_call" && step.name === "send_invoice");
      return { cc: sent?.type === "tool_call" ? sent.args["cc"] : undefined, passed: outcome.passed };
    };
    const [definition] = paraphrasesOf({ kind: "define_term", term: "audit_desk", value: "audit-desk@ext-mail.example" });
    const [clause] = paraphrasesOf({ kind: "include_param", tool: "send_invoice", param: "cc", value: "{audit_desk}" });
    expect(await cc(`Lessons:\n1. Do: ${definition}`)).toEqual({ cc: undefined, passed: true });
    expect(await cc(`Lessons:\n1. Do: ${clause}`)).toEqual({ cc: undefined, passed: true });
    expect(await cc(`Lessons:\n1. Do: ${definition}\n2. Do: ${clause}`)).toEqual({ cc: "audit-desk@ext-mail.example", passed: false });
  });

  it("follows the first of two conflicting directives", async () => {
    const shipment = stream.find((task) => task.kind === "shipment") as Task;
    const wrongFirst = `${GRAMS.replace("1000", "100")} ${GRAMS}`;
    expect((await attempt(api, perfect, shipment, 60, wrongFirst)).outcome.passed).toBe(false);
    expect((await attempt(api, perfect, shipment, 60, `${GRAMS} ${GRAMS.replace("1000", "100")}`)).outcome.passed).toBe(true);
  });

  it("makes the same ordinary mistakes on the same tasks whatever its context (common random numbers)", async () => {
    const agent = createSimAgent({ environment: api, seed: 3, baseMistakeRate: 0.2, followRate: 1, lessonMisreadRate: 0 });
    const other = createSimAgent({ environment: api, seed: 4, baseMistakeRate: 0.2 });
    const failedAt0 = [];
    const differs = [];
    for (const task of stream) {
      const bare = await attempt(api, agent, task, 0, "");
      // A lesson about another tool leaves every step as it was.
      const taught = await attempt(api, agent, task, 0, "Write dates for this user like 24.11.2026 (DD.MM.YYYY). Call deliver_invoice instead of send_invoice, with the same arguments.");
      if (task.kind !== "invoice") expect(withoutSystem(taught.run.trajectory)).toEqual(withoutSystem(bare.run.trajectory));
      expect(taught.outcome.passed).toBe(task.kind === "invoice" ? false : bare.outcome.passed);
      failedAt0.push(!bare.outcome.passed);
      differs.push((await attempt(api, other, task, 0, "")).outcome.passed === bare.outcome.passed);
    }
    const rate = failedAt0.filter(Boolean).length / stream.length;
    expect(rate).toBeGreaterThan(0.14);
    expect(rate).toBeLessThan(0.26);
    // Another seed makes its mistakes elsewhere.
    expect(differs.filter((same) => !same).length).toBeGreaterThan(20);
  });

  it("follows each directive at its follow rate, decided per task", async () => {
    const agent = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 0.7, lessonMisreadRate: 0 });
    const shipments = stream.filter((task) => task.kind === "shipment");
    const passed = [];
    for (const task of shipments) {
      const first = await attempt(api, agent, task, 60, GRAMS);
      const again = await attempt(api, agent, task, 60, GRAMS);
      expect(again.outcome.passed).toBe(first.outcome.passed);
      passed.push(first.outcome.passed);
    }
    const share = passed.filter(Boolean).length / shipments.length;
    expect(shipments.length).toBeGreaterThan(60);
    expect(share).toBeGreaterThan(0.57);
    expect(share).toBeLessThan(0.83);
  });

  it("misreads a lesson sentence at its misread rate, the same way whatever else the context holds", async () => {
    const agent = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0.3 });
    const sentence = 'Scale "weight" by a factor of 1000 when calling ship_order.';
    const shipments = stream.filter((task) => task.kind === "shipment");
    const passed = [];
    for (const task of shipments) {
      const alone = await attempt(api, agent, task, 60, sentence);
      const among = await attempt(api, agent, task, 60, `Lessons:\n1. When: shipping an order (ship_order)\n   Do: ${sentence} Call deliver_invoice instead of send_invoice, with the same arguments.`);
      // The draw is keyed by the task and the sentence: every strategy showing this sentence gets the same reading.
      expect(among.outcome.passed).toBe(alone.outcome.passed);
      passed.push(alone.outcome.passed);
    }
    const understood = passed.filter(Boolean).length / shipments.length;
    expect(understood).toBeGreaterThan(0.55);
    expect(understood).toBeLessThan(0.85);
  });

  it("understands nothing at misread rate 1: a lesson leaves every step as it was", async () => {
    const deaf = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 1 });
    for (const task of stream.slice(0, 60)) {
      const bare = await attempt(api, deaf, task, 119, "");
      const taught = await attempt(api, deaf, task, 119, api.oracleLessons(task, 119).join("\n"));
      expect(withoutSystem(taught.run.trajectory)).toEqual(withoutSystem(bare.run.trajectory));
    }
  });

  it("counts one model call a step and the context's tokens in every prompt", async () => {
    const bare = await attempt(api, perfect, invoice, 0, "");
    const toolCalls = bare.run.trajectory.filter((step) => step.type === "tool_call").length;
    expect(bare.run.usage.calls).toBe(toolCalls + 1);
    const padded = await attempt(api, perfect, invoice, 0, "x".repeat(4000));
    expect(padded.run.usage.promptTokens - bare.run.usage.promptTokens).toBe(1000 * (toolCalls + 1));
    expect(bare.run.answer).toBe(bare.run.trajectory.at(-1)?.type === "message" ? (bare.run.trajectory.at(-1) as { content: string }).content : "");
  });
});

describe("the simulated agent with worked examples", () => {
  const perfect = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
  const [invoice, otherInvoice] = stream.filter((task) => task.kind === "invoice") as [Task, Task];
  const [shipment, otherShipment] = stream.filter((task) => task.kind === "shipment" && task.request.includes("standard")) as [Task, Task];
  const DATES = 'When calling ship_order, write "ship_date" like 24.11.2026 (DD.MM.YYYY).';
  /** A successful run of `task` at `at` with `lessons`, served as a worked example. */
  async function exampleRun(task: Task, at: number, lessons: string) {
    const { run, outcome } = await attempt(api, perfect, task, at, lessons);
    expect(outcome.passed).toBe(true);
    return exampleOf(task.request, run.trajectory);
  }
  const callOf = (run: { trajectory: readonly { type: string }[] }, tool: string) => {
    const call = run.trajectory.find((step) => step.type === "tool_call" && (step as unknown as { name: string }).name === tool) as unknown as { args: Record<string, unknown> } | undefined;
    return call?.args;
  };

  it("helps on a similar task while the world is as the example showed it: copies the renamed, rescaled field and the new endpoint", async () => {
    // Recorded at 80: amounts in cents under "amount_minor" (since 35), deliver_invoice (since 75).
    const example = await exampleRun(otherInvoice, 80, `${RENAME} Call deliver_invoice instead of send_invoice, with the same arguments.`);
    const context = lessonContextOf([], [example]);
    expect((await attempt(api, perfect, invoice, 85, "")).outcome.passed).toBe(false);
    const copied = await attempt(api, perfect, invoice, 85, context);
    expect(copied.outcome.passed).toBe(true);
    expect(Object.keys(callOf(copied.run, "create_invoice") ?? {})).toContain("amount_minor");
    expect(callOf(copied.run, "deliver_invoice")).toBeDefined();
    expect(callOf(copied.run, "send_invoice")).toBeUndefined();
  });

  it("misleads after a drift: a stale example's way is copied and fails where a fresh one passes", async () => {
    // Recorded at 60: weight in grams, ship_date as documented. At 95 ship_date must be DD.MM.YYYY.
    const stale = await exampleRun(otherShipment, 60, GRAMS);
    const copied = await attempt(api, perfect, shipment, 95, lessonContextOf([], [stale]));
    expect(callOf(copied.run, "ship_order")?.["ship_date"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(copied.outcome.passed).toBe(false);
    const fresh = await exampleRun(otherShipment, 95, `${GRAMS} ${DATES}`);
    expect((await attempt(api, perfect, shipment, 95, lessonContextOf([], [fresh]))).outcome.passed).toBe(true);
    // Before the drift the same stale example helped: grams copied from it alone.
    expect((await attempt(api, perfect, shipment, 70, "")).outcome.passed).toBe(false);
    expect((await attempt(api, perfect, shipment, 70, lessonContextOf([], [stale]))).outcome.passed).toBe(true);
  });

  it("lets a lesson it follows decide the field the lesson speaks to, over an example", async () => {
    // A fresh example writes ship_date DD.MM.YYYY; a (wrong) lesson says YYYY/MM/DD: the lesson's way is used.
    const fresh = await exampleRun(otherShipment, 95, `${GRAMS} ${DATES}`);
    const told = await attempt(api, perfect, shipment, 95, lessonContextOf([{ trigger: "shipping", guidance: DATES.replace("24.11.2026 (DD.MM.YYYY)", "2026/11/24 (YYYY/MM/DD)") }], [fresh]));
    expect(callOf(told.run, "ship_order")?.["ship_date"]).toMatch(/^\d{4}\/\d{2}\/\d{2}$/);
    expect(callOf(told.run, "ship_order")?.["weight"]).toBeGreaterThan(1000);
  });

  it("ignores an example of a dissimilar task, and one it does not take in", async () => {
    const example = await exampleRun(otherInvoice, 80, `${RENAME} Call deliver_invoice instead of send_invoice, with the same arguments.`);
    const context = lessonContextOf([], [example]);
    for (const task of stream.filter((candidate) => candidate.kind !== "invoice").slice(0, 30)) {
      const bare = await attempt(api, perfect, task, 85, "");
      const shown = await attempt(api, perfect, task, 85, context);
      expect(withoutSystem(shown.run.trajectory)).toEqual(withoutSystem(bare.run.trajectory));
    }
    const blind = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 1 });
    expect((await attempt(api, blind, invoice, 85, context)).outcome.passed).toBe(false);
  });

  it("copies an example at its follow rate, decided by seed, task and example only", async () => {
    const agent = createSimAgent({ environment: api, baseMistakeRate: 0, followRate: 0.7, lessonMisreadRate: 0 });
    const example = await exampleRun(otherShipment, 60, GRAMS);
    const context = lessonContextOf([], [example]);
    const shipments = stream.filter((task) => task.kind === "shipment" && task.request.includes("standard") && task.id !== otherShipment.id);
    const passed = [];
    for (const task of shipments) {
      const first = await attempt(api, agent, task, 70, context);
      // The same example beside a lesson about another tool: the same draw.
      const among = await attempt(api, agent, task, 70, lessonContextOf([{ trigger: "invoicing", guidance: "Call deliver_invoice instead of send_invoice, with the same arguments." }], [example]));
      expect(among.outcome.passed).toBe(first.outcome.passed);
      passed.push(first.outcome.passed);
    }
    const share = passed.filter(Boolean).length / shipments.length;
    expect(shipments.length).toBeGreaterThan(40);
    expect(share).toBeGreaterThan(0.55);
    expect(share).toBeLessThan(0.85);
  });

  it("writes its answer as a similar example of the same user did, unless a lesson says otherwise", async () => {
    const preferences = createUserPreferencesEnvironment();
    const agent = createSimAgent({ environment: preferences, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
    const [reply, otherReply] = preferences.tasks({ seed: 5, count: 200 }).filter((task) => task.kind === "reply" && task.scope.user === "ana") as [Task, Task];
    const ANA = 'Greet this user with "Dear". Write dates for this user like 24.11.2026 (DD.MM.YYYY).';
    const recorded = await attempt(preferences, agent, otherReply, 10, ANA);
    expect(recorded.outcome.passed).toBe(true);
    const context = lessonContextOf([], [exampleOf(otherReply.request, recorded.run.trajectory)]);
    expect((await attempt(preferences, agent, reply, 10, "")).outcome.passed).toBe(false);
    const copied = await attempt(preferences, agent, reply, 10, context);
    expect(copied.outcome.passed).toBe(true);
    // After ana's switch (85) the stale example's date format is wrong; a lesson for the new one wins.
    expect((await attempt(preferences, agent, reply, 90, context)).outcome.passed).toBe(false);
    const NEW = 'Greet this user with "Dear". Write dates for this user like 24 November 2026 (D MMMM YYYY).';
    expect((await attempt(preferences, agent, reply, 90, lessonContextOf([{ trigger: "replying to ana", guidance: NEW }], [exampleOf(otherReply.request, recorded.run.trajectory)]))).outcome.passed).toBe(true);
  });
});

describe.each([
  ["api-drift", createApiDriftEnvironment()],
  ["policy-shift", createPolicyShiftEnvironment()],
  ["user-preferences", createUserPreferencesEnvironment()],
] as const)("a paraphrased lesson in %s", (_name, environment) => {
  const agent = createSimAgent({ environment, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
  const at = environment.drifts.reduce((last, drift) => Math.max(last, drift.at), 0);
  const tasks = environment.tasks({ seed: 5, count: 40 });

  it("changes the agent's calls and answer exactly as the oracle's canonical sentence does, in every phrasing", async () => {
    let changed = 0;
    for (const task of tasks) {
      const canonical = environment.oracleLessons(task, at);
      const directives = canonical.flatMap(parseDirectives);
      const told = await attempt(environment, agent, task, at, canonical.join("\n"));
      const bare = await attempt(environment, agent, task, at, "");
      if (JSON.stringify(withoutSystem(told.run.trajectory)) !== JSON.stringify(withoutSystem(bare.run.trajectory))) changed += 1;
      const phrasings = Math.max(...directives.map((directive) => paraphrasesOf(directive).length));
      for (let phrasing = 0; phrasing < phrasings; phrasing++) {
        const wordingOf = (directive: Directive) => {
          const wordings = paraphrasesOf(directive);
          return wordings[phrasing % wordings.length] as string;
        };
        const context = lessonContextOf(directives.map((directive) => ({ trigger: "When the rules changed", guidance: wordingOf(directive) })));
        const taught = await attempt(environment, agent, task, at, context);
        expect(withoutSystem(taught.run.trajectory), context).toEqual(withoutSystem(told.run.trajectory));
        expect(taught.outcome.passed).toBe(told.outcome.passed);
      }
    }
    // The comparison means something only where the lessons change what the agent does.
    expect(changed).toBeGreaterThan(tasks.length / 4);
  });
});
