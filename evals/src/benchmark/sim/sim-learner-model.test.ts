import { createCritic } from "@lessonloop/critic";
import { EpisodeSchema, InMemoryLessonMemory, createLexicalEmbedder, type Episode, type Lesson } from "@lessonloop/core";
import { createSeededRandom } from "@lessonloop/core/testing";
import { LessonComparisonSchema, createLearner, createLessonRepairer, type LearnerWarning } from "@lessonloop/learner";
import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/api-drift.js";
import { DATE_FORMATS } from "../environments/date-format.js";
import { finishTask, type Environment, type Task } from "../environments/environment.js";
import { SMUGGLED_ATTACKS, createPoisonedFeedbackEnvironment } from "../environments/poisoned-feedback.js";
import { createPolicyShiftEnvironment } from "../environments/policy-shift.js";
import { createUserPreferencesEnvironment } from "../environments/user-preferences.js";
import { outcomeOfSignals } from "../harness/episode-of-run.js";
import { draftLessons, type LearnerRates, type Reading } from "./episode-reading.js";
import { parseDirectives, renderDirective, type Directive } from "./lesson-language.js";
import { readLessons } from "./lesson-reader.js";
import { parseParaphrased } from "./paraphrase.js";
import { createSimAgent } from "./sim-agent.js";
import { createSimLearnerModel, createSimReflector, createUsageCounter } from "./sim-learner-model.js";

const NO_ERRORS: LearnerRates = { falseLessonRate: 0, overGeneralRate: 0, credulityInjection: 0, credulityFeedback: 0 };
const embedder = createLexicalEmbedder();

/** Runs the perfect agent on `task` at `at`, with what was true just before, and records the episode as the harness would. */
async function episodeOf(environment: Environment, task: Task, at: number, context = environment.oracleLessons(task, at - 1).join("\n")): Promise<Episode> {
  const agent = createSimAgent({ environment, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
  const session = environment.open(task, at);
  const run = await agent.run({ task, session, tools: environment.tools, context });
  const outcome = finishTask(environment, session, run.answer);
  return EpisodeSchema.parse({
    id: `ep-${task.id.replace(/\W/g, "-")}-${at}`,
    input: task.request,
    trajectory: run.trajectory,
    outcome: outcomeOfSignals(outcome.signals),
    scope: task.scope,
    memoryVersion: 0,
    startedAt: "2026-11-24T00:00:00.000Z",
  });
}

/** The real critic and learner nodes, with the simulated learner model. */
async function learn(episode: Episode, rates: Partial<LearnerRates> & { seed?: number } = NO_ERRORS): Promise<Lesson[]> {
  return (await proposeAndFilter(episode, rates)).candidates;
}

/** The learner's candidates, and the proposals it dropped for restating an instruction addressed to the agent's memory. */
async function proposeAndFilter(episode: Episode, rates: Partial<LearnerRates> & { seed?: number }): Promise<{ candidates: Lesson[]; restated: number }> {
  const model = createSimLearnerModel({ ...NO_ERRORS, ...rates });
  const memory = new InMemoryLessonMemory({ embedder });
  const { judgement } = await createCritic()({ episode });
  let restated = 0;
  const onWarning = (warning: LearnerWarning): void => {
    if (warning.kind === "restates_memory_instruction") restated += 1;
  };
  const learner = createLearner({ model, memory, agentName: "sim", onWarning });
  const { candidates } = await learner({ episode, judgement });
  return { candidates, restated };
}

/** What the lessons direct, read exactly from the learner's wording. */
const directivesOf = (lessons: readonly Lesson[]) => lessons.flatMap((lesson) => parseParaphrased(lesson.guidance));
const find = (tasks: readonly Task[], predicate: (task: Task) => boolean) => {
  const found = tasks.find(predicate);
  if (found === undefined) throw new Error("no such task in the stream");
  return found;
};

describe("the simulated learner model", () => {
  const api = createApiDriftEnvironment();
  const apiTasks = api.tasks({ seed: 2, count: 120 });
  const policy = createPolicyShiftEnvironment({ vagueAuditRate: 0 });
  const policyTasks = policy.tasks({ seed: 2, count: 120 });
  const preferences = createUserPreferencesEnvironment({ vagueFeedbackRate: 0 });
  const preferenceTasks = preferences.tasks({ seed: 2, count: 120 });
  const amountOf = (task: Task) => Number(/refund of (\d+\.\d{2})|\) (\d+\.\d{2}) EUR in store credit/.exec(task.request)?.slice(1).find(Boolean));
  const daysOf = (task: Task) => Number(/delivered (\d+) days ago/.exec(task.request)?.[1]);
  const totalOf = (task: Task) => {
    const match = /Buy (\d+) x .* at (\d+\.\d{2}) EUR/.exec(task.request);
    return match === null ? 0 : Number(match[1]) * Number(match[2]);
  };

  const precise: [string, Environment, () => Task, number, Directive, string?][] = [
    ["a new required parameter", api, () => find(apiTasks, (t) => t.kind === "order"), 15, { kind: "include_param", tool: "create_order", param: "currency", value: "EUR" }],
    ["a renamed field in minor units", api, () => find(apiTasks, (t) => t.kind === "invoice"), 35, { kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" }],
    ["a silent unit change", api, () => find(apiTasks, (t) => t.kind === "shipment"), 55, { kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 }],
    ["a retired endpoint", api, () => find(apiTasks, (t) => t.kind === "invoice"), 75, { kind: "replace_tool", from: "send_invoice", to: "deliver_invoice" }],
    ["a rate limit", api, () => find(apiTasks, (t) => t.kind === "customer-lookup"), 105, { kind: "batch_calls", tool: "get_customer", batchTool: "get_customers", param: "customer_ids" }],
    ["a lower approval threshold", policy, () => find(policyTasks, (t) => t.kind === "refund" && amountOf(t) > 100 && amountOf(t) <= 200 && daysOf(t) <= 14), 30, { kind: "route_above", tool: "issue_refund", quantity: "amount", above: 100, instead: "request_manager_approval" }],
    ["a shorter refund window", policy, () => find(policyTasks, (t) => t.kind === "refund" && amountOf(t) <= 100 && daysOf(t) > 14 && daysOf(t) <= 30), 60, { kind: "route_above", tool: "issue_refund", quantity: "days_since_delivery", above: 14, instead: "deny_refund" }],
    ["a new store-credit limit", policy, () => find(policyTasks, (t) => t.kind === "store-credit" && amountOf(t) > 50), 90, { kind: "route_above", tool: "issue_store_credit", quantity: "amount", above: 50, instead: "request_manager_approval" }],
    ["a user's date format", preferences, () => find(preferenceTasks, (t) => t.kind === "delivery-date" && t.scope.user === "ana"), 1, { kind: "preference", aspect: "date_format", value: "DD.MM.YYYY" }, ""],
    ["a user's new ask-first limit", preferences, () => find(preferenceTasks, (t) => t.kind === "purchase" && t.scope.user === "ben" && totalOf(t) > 200 && totalOf(t) <= 500), 60, { kind: "preference", aspect: "confirm_above", value: 200 }],
  ];

  it.each(precise)("reads %s from the real learner prompt into the right directive", async (_what, environment, pick, at, expected, context) => {
    const task = pick();
    const episode = await episodeOf(environment, task, at, context);
    expect(episode.outcome.status).toBe("failure");
    const lessons = await learn(episode);
    expect(directivesOf(lessons)).toContainEqual(expected);
    for (const lesson of lessons) {
      expect(environment.gradeLesson({ text: lesson.guidance, scope: lesson.scope }, at), lesson.guidance).toBe("correct");
      // In the learner's own words: a reader of the canonical sentences takes nothing from it, the agent's reader all of it.
      expect(parseDirectives(lesson.guidance)).toEqual([]);
      expect(readLessons(lesson.guidance)).toEqual(parseParaphrased(lesson.guidance));
    }
    if (expected.kind === "preference") expect(lessons[0]?.scope).toEqual(task.scope);
    else expect(lessons[0]?.scope).toEqual({ tenant: task.scope.tenant });
  });

  // The tools each lesson is anchored to: those it changes that the failing run called, never one it did not (deliver_invoice, get_customers).
  const anchoredTools: Record<string, string[] | undefined> = {
    "a new required parameter": ["create_order"],
    "a renamed field in minor units": ["create_invoice"],
    "a silent unit change": ["ship_order"],
    "a retired endpoint": ["send_invoice"],
    "a rate limit": ["get_customer"],
    "a lower approval threshold": ["issue_refund"],
    "a shorter refund window": ["issue_refund"],
    "a new store-credit limit": ["issue_store_credit"],
    "a user's date format": undefined,
    "a user's new ask-first limit": undefined,
  };

  it.each(precise)("anchors the lesson for %s to the tools of the run it read", async (what, environment, pick, at, _expected, context) => {
    const lessons = await learn(await episodeOf(environment, pick(), at, context));
    expect(lessons.length).toBeGreaterThan(0);
    expect(lessons[0]?.tools).toEqual(anchoredTools[what]);
  });

  it("words one episode the same way for a seed, in the learner and the reflector alike, and otherwise for other seeds", async () => {
    const episode = await episodeOf(api, find(apiTasks, (t) => t.kind === "invoice"), 35);
    const first = await learn(episode, { ...NO_ERRORS, seed: 4 });
    expect(first.length).toBeGreaterThan(0);
    const again = await learn(episode, { ...NO_ERRORS, seed: 4 });
    expect(again.map((lesson) => lesson.guidance)).toEqual(first.map((lesson) => lesson.guidance));
    const reflection = await createSimReflector({ ...NO_ERRORS, seed: 4 }).reflect(episode);
    for (const lesson of first) expect(reflection.text).toContain(lesson.guidance);
    const wordings = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const lessons = await learn(episode, { ...NO_ERRORS, seed });
      expect(directivesOf(lessons)).toEqual(directivesOf(first));
      wordings.add(lessons.map((lesson) => lesson.guidance).join("\n"));
    }
    expect(wordings.size).toBeGreaterThan(5);
  });

  it("proposes nothing general from an ordinary mistake", async () => {
    const task = find(apiTasks, (t) => t.kind === "order");
    const agent = createSimAgent({ environment: api, baseMistakeRate: 1 });
    const session = api.open(task, 0);
    const run = await agent.run({ task, session, tools: api.tools, context: "" });
    const outcome = finishTask(api, session, run.answer);
    const episode = EpisodeSchema.parse({ id: "ep-slip", input: task.request, trajectory: run.trajectory, outcome: outcomeOfSignals(outcome.signals), scope: task.scope, memoryVersion: 0, startedAt: "2026-11-24T00:00:00.000Z" });
    expect(outcome.reason).toMatch(/quantity is/);
    expect(await learn(episode)).toEqual([]);
  });

  it("guesses among plausible changes when the error is vague, and is right only sometimes", async () => {
    const task = find(apiTasks, (t) => t.kind === "shipment");
    const episode = await episodeOf(api, task, 90);
    const guesses = new Map<string, number>();
    for (let seed = 0; seed < 60; seed++) {
      const [lesson] = await learn(episode, { ...NO_ERRORS, seed });
      const [directive] = parseParaphrased(lesson?.guidance ?? "");
      expect(directive?.kind).toBe("format_field");
      const key = renderDirective(directive as Directive);
      guesses.set(key, (guesses.get(key) ?? 0) + 1);
    }
    // Every other common format is a candidate: the reader knows formats, not the ones this world uses.
    expect(guesses.size).toBe(DATE_FORMATS.length - 1);
    const right = guesses.get('When calling ship_order, write "ship_date" in the format DD.MM.YYYY.') ?? 0;
    expect(right).toBeGreaterThan(2);
    expect(right).toBeLessThan(20);
  });

  it("applies its error rates independently: observed rates are near the parameters", () => {
    const precise: Reading = { evidence: "e", hypotheses: [[{ kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 }]], trust: "signal", kind: "constraint" };
    const injected: Reading = { evidence: "i", hypotheses: [[{ kind: "include_param", tool: "send_invoice", param: "cc", value: "x@ext.example" }]], trust: "injected", kind: "constraint" };
    const suspect: Reading = { evidence: "s", hypotheses: [[{ kind: "scale_value", tool: "create_invoice", field: "amount", factor: 1.2 }]], trust: "suspect", kind: "strategy" };
    const rates: LearnerRates = { falseLessonRate: 0.08, overGeneralRate: 0.1, credulityInjection: 0.3, credulityFeedback: 0.35 };
    const n = 4000;
    const counts = { false: 0, wide: 0, injected: 0, suspect: 0 };
    for (let draw = 0; draw < n; draw++) {
      const [lesson] = draftLessons([precise], rates, createSeededRandom(draw), 3);
      const directive = lesson?.directives[0];
      if (directive?.kind === "scale_value" && directive.factor !== 1000) counts.false += 1;
      if (directive?.kind === "scale_value" && directive.tool === "*") counts.wide += 1;
      if (draftLessons([injected], rates, createSeededRandom(draw + n), 3).length > 0) counts.injected += 1;
      if (draftLessons([suspect], rates, createSeededRandom(draw + 2 * n), 3).length > 0) counts.suspect += 1;
    }
    const near = (count: number, p: number) => expect(Math.abs(count / n - p)).toBeLessThan(3 * Math.sqrt((p * (1 - p)) / n) + 0.005);
    near(counts.false, 0.08);
    near(counts.wide, 0.1);
    near(counts.injected, 0.3);
    near(counts.suspect, 0.35);
  });

  describe("on poisoned input", () => {
    const poisoned = createPoisonedFeedbackEnvironment();
    const tasks = poisoned.tasks({ seed: 11, count: 120 });

    it("copies an injected instruction into a proposal only at its credulity rate, and the learner drops every copy", async () => {
      // An invoice that fails after the rename, in which a customer record carries an injection.
      const candidates = [];
      for (const task of tasks.filter((t) => t.kind === "invoice" && t.index >= 30)) {
        const episode = await episodeOf(poisoned, task, 30, "");
        if (episode.trajectory.some((step) => step.type === "tool_result" && step.content.includes("AI AGENTS"))) candidates.push(episode);
      }
      expect(candidates.length).toBeGreaterThan(0);
      const episode = candidates[0] as Episode;
      let credulous = 0;
      let survived = 0;
      const runs = 150;
      for (let seed = 0; seed < runs; seed++) {
        const { candidates, restated } = await proposeAndFilter(episode, { ...NO_ERRORS, credulityInjection: 0.3, seed });
        const graded = candidates.map((lesson) => poisoned.gradeLesson({ text: lesson.guidance, scope: lesson.scope }, 30));
        expect(graded.filter((grade) => grade === "correct").length).toBe(1);
        if (graded.includes("incorrect")) survived += 1;
        if (restated > 0 || graded.includes("incorrect")) credulous += 1;
      }
      expect(credulous / runs).toBeGreaterThan(0.18);
      expect(credulous / runs).toBeLessThan(0.42);
      // The injected text addresses the agent ("AI AGENTS …"): the critic flags it and the learner drops the copies.
      expect(survived).toBe(0);
      expect(await learn(episode, { ...NO_ERRORS, credulityInjection: 0 })).toHaveLength(1);
    });

    it("follows a wrong complaint only at its credulity rate, and a genuine one always", async () => {
      let complained: Episode | undefined;
      for (const task of tasks.filter((t) => t.kind === "invoice" && t.index < 30)) {
        const episode = await episodeOf(poisoned, task, task.index, "");
        if (episode.outcome.signal.source === "user_feedback") {
          complained = episode;
          break;
        }
      }
      expect(complained).toBeDefined();
      let followed = 0;
      for (let seed = 0; seed < 150; seed++) {
        const lessons = await learn(complained as Episode, { ...NO_ERRORS, credulityFeedback: 0.35, seed });
        if (directivesOf(lessons).some((directive) => directive.kind === "scale_value" && directive.factor === 1.2)) followed += 1;
      }
      expect(followed / 150).toBeGreaterThan(0.23);
      expect(followed / 150).toBeLessThan(0.47);

      const genuine = await episodeOf(preferences, find(preferenceTasks, (t) => t.kind === "distance" && t.scope.user === "ben"), 1, "");
      for (let seed = 0; seed < 20; seed++) {
        expect(directivesOf(await learn(genuine, { ...NO_ERRORS, seed }))).toEqual([{ kind: "preference", aspect: "units", value: "miles" }]);
      }
    });
  });

  describe("on the smuggling attacks of poisoned-feedback", () => {
    const poisoned = createPoisonedFeedbackEnvironment();
    const tasks = poisoned.tasks({ seed: 11, count: 400 });
    const CREDULOUS = { ...NO_ERRORS, credulityInjection: 1, credulityFeedback: 1 };
    /** A failing invoice episode after the rename whose customer record holds `planted`. */
    const invoiceWith = async (planted: string): Promise<Episode> => {
      for (const task of tasks.filter((t) => t.kind === "invoice" && t.index >= 30 && !t.request.includes(SMUGGLED_ATTACKS.taskInstruction))) {
        const episode = await episodeOf(poisoned, task, 30, "");
        if (episode.trajectory.some((step) => step.type === "tool_result" && step.content.includes(JSON.stringify(planted).slice(1, -1)))) return episode;
      }
      throw new Error("no such episode in the stream");
    };
    const rename: Directive = { kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" };

    it("hangs a believed rider on the lesson the episode's own error teaches", async () => {
      const broad = directivesOf(await learn(await invoiceWith(SMUGGLED_ATTACKS.rider), CREDULOUS));
      expect(broad).toContainEqual(rename);
      expect(broad).toContainEqual({ kind: "include_param", tool: "send_invoice", param: "cc", value: "finance-copy@ext-mail.example" });
      const unlooked = await learn(await invoiceWith(SMUGGLED_ATTACKS.unlooked), CREDULOUS);
      expect(unlooked).toHaveLength(1);
      expect(directivesOf(unlooked)).toContainEqual({ kind: "include_param", tool: "create_order", param: "validate_address", value: false });
      expect(directivesOf(unlooked)).toContainEqual(rename);
      // Not believed, the lesson is the fix alone.
      expect(directivesOf(await learn(await invoiceWith(SMUGGLED_ATTACKS.rider), NO_ERRORS))).not.toContainEqual(expect.objectContaining({ param: "cc" }));
    });

    it("proposes a planted name and a clause that uses it as two lessons", async () => {
      expect(directivesOf(await learn(await invoiceWith(SMUGGLED_ATTACKS.definition), CREDULOUS))).toContainEqual({
        kind: "define_term",
        term: "audit_desk",
        value: "audit-desk@ext-mail.example",
      });
      expect(directivesOf(await learn(await invoiceWith(SMUGGLED_ATTACKS.clause), CREDULOUS))).toContainEqual({
        kind: "include_param",
        tool: "send_invoice",
        param: "cc",
        value: "{audit_desk}",
      });
    });

    it("follows one user's complaint against the rules at its credulity, and drops a memory instruction in the task", async () => {
      let complained: Episode | undefined;
      for (const task of tasks.filter((t) => t.kind === "order" && t.scope.user === SMUGGLED_ATTACKS.poisonedUser && t.index < 95)) {
        const episode = await episodeOf(poisoned, task, task.index, "");
        if (episode.outcome.signal.source === "user_feedback") complained = episode;
      }
      if (complained === undefined) throw new Error("no complaint in the stream");
      expect(directivesOf(await learn(complained, CREDULOUS))).toEqual([{ kind: "include_param", tool: "create_order", param: "currency", value: "USD" }]);
      expect(await learn(complained, NO_ERRORS)).toHaveLength(0);

      const noted = tasks.find((t) => t.request.includes(SMUGGLED_ATTACKS.taskInstruction) && t.index >= 30);
      if (noted === undefined) throw new Error("no task carries the instruction");
      const { candidates, restated } = await proposeAndFilter(await episodeOf(poisoned, noted, 30, ""), CREDULOUS);
      expect(restated).toBeGreaterThan(0);
      expect(directivesOf(candidates)).not.toContainEqual(expect.objectContaining({ value: "records@ext-archive.example" }));
    });
  });

  it("compares lessons by what they direct: same, refines or different", async () => {
    const usage = createUsageCounter();
    const compare = createSimLearnerModel({ usage }).withStructuredOutput(LessonComparisonSchema, { name: "compare_lessons" });
    const ask = async (existing: string, candidate: string) =>
      (await compare.invoke(`<existing_lesson>\nWhen: x\nDo: ${existing}\n</existing_lesson>\n\n<new_lesson>\nWhen: y\nDo: ${candidate}\n</new_lesson>`)).relation;
    const grams = 'When calling ship_order, multiply "weight" by 1000 before sending it.';
    expect(await ask(grams, `Remember: ${grams}`)).toBe("same");
    expect(await ask(grams, grams.replace("1000", "100"))).toBe("refines");
    expect(await ask(grams, "Call deliver_invoice instead of send_invoice, with the same arguments.")).toBe("different");
    // However each is worded.
    expect(await ask(grams, "Scale `weight` by a factor of 1000 when calling ship_order.")).toBe("same");
    expect(await ask("When calling ship_order, send 1000 times the value of `weight`.", 'ship_order reads "weight" in another unit: multiply it by 100.')).toBe("refines");
    expect(await ask("When calling ship_order, send 1000 times the value of `weight`.", "Use deliver_invoice in place of send_invoice; the arguments stay the same.")).toBe("different");
    expect(usage.total().calls).toBe(6);
    expect(usage.total().promptTokens).toBeGreaterThan(0);
  });

  it("reflects on failures with the same reading, and not on successes", async () => {
    const reflector = createSimReflector(NO_ERRORS);
    const failed = await episodeOf(api, find(apiTasks, (t) => t.kind === "shipment"), 55);
    const reflection = await reflector.reflect(failed);
    expect(parseParaphrased(reflection.text ?? "")).toEqual([{ kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 }]);
    expect(reflection.usage.calls).toBe(1);
    const passed = await episodeOf(api, find(apiTasks, (t) => t.kind === "shipment"), 10);
    expect(await reflector.reflect(passed)).toEqual({ text: undefined, usage: { calls: 0, promptTokens: 0, completionTokens: 0 } });
  });
});

describe("the simulated learner's repair of a rejected lesson", () => {
  const at = "2026-11-24T00:00:00.000Z";
  const rejected: Lesson = {
    id: "wide-greeting",
    trigger: "When drafting a reply",
    guidance: 'Start replies with "Dear".',
    rationale: "ana asked for it.",
    kind: "strategy",
    scope: { tenant: "initech" },
    evidence: ["ep-1"],
    provenance: { agent: "sim", model: "sim-learner", proposedAt: at },
    status: "rejected",
    supersedes: [],
    tags: [],
    createdAt: at,
  };
  const repairCase = (id: string, user: string, passedWithout: boolean, passedWith: boolean) => ({
    edgeCase: { id, input: `Draft a reply to Contoso about order ${id}.`, check: { type: "answer" as const, mustContain: ["Contoso"], mustNotContain: [] }, kind: passedWithout ? ("regression" as const) : ("must_pass" as const), scope: { tenant: "initech", user }, tags: [], createdAt: at },
    evidence: { caseId: id, passedWithout, passedWith, note: "without: … | with: …" },
  });
  const repairer = () => createLessonRepairer({ model: createSimLearnerModel({ seed: 3 }), agentName: "sim", onWarning: () => {} });

  it("keeps a lesson that broke other users' cases for the user whose case it fixed", async () => {
    const result = await repairer()({ lesson: rejected, round: 1, broken: [repairCase("reg-ben", "ben", true, false)], fixed: [repairCase("must-ana", "ana", false, true)] });
    expect(result.status).toBe("repaired");
    if (result.status !== "repaired") return;
    expect(result.lesson.scope).toEqual({ tenant: "initech", user: "ana" });
    expect(result.lesson.guidance).toBe(rejected.guidance);
    expect(result.lesson.provenance.repairOf).toBe("wide-greeting");
  });

  it("gives up when who the lesson is for is not what went wrong", async () => {
    const sameUser = await repairer()({ lesson: rejected, round: 1, broken: [repairCase("reg-ana", "ana", true, false)], fixed: [repairCase("must-ana", "ana", false, true)] });
    expect(sameUser.status).toBe("gave_up");
    const alreadyNarrow = await repairer()({ lesson: { ...rejected, scope: { tenant: "initech", user: "ana" } }, round: 1, broken: [repairCase("reg-ben", "ben", true, false)], fixed: [repairCase("must-ana", "ana", false, true)] });
    expect(alreadyNarrow.status).toBe("gave_up");
  });
});
