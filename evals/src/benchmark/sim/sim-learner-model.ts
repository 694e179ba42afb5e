import type { BaseMessage } from "@langchain/core/messages";
import { type Episode } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { ScriptedChatModel, type ScriptedCall, type ScriptedMessage } from "@lessonloop/core/testing";
import type { LearnerAnswer, LessonRelation, ProposedLesson } from "@lessonloop/learner";
import { estimateTokens } from "@lessonloop/replay-retriever";
import { z } from "zod";
import type { ModelUsage } from "../harness/agent.js";
import type { Reflector } from "../harness/model-suite.js";
import {
  draftLessons,
  readEpisode,
  requestPart,
  slotsOf,
  viewOfEpisode,
  viewOfLearnerPrompt,
  type DraftLesson,
  type LearnerRates,
} from "./episode-reading.js";
import { directiveKey, type Directive } from "./lesson-language.js";
import { paraphraseDirective, parseParaphrased } from "./paraphrase.js";
import { keyedRandom } from "../keyed-draw.js";

/** Default rates of the simulated learner. */
export const DEFAULT_LEARNER_RATES: LearnerRates = {
  falseLessonRate: 0.08,
  overGeneralRate: 0.1,
  credulityInjection: 0.3,
  credulityFeedback: 0.35,
};

const RatesSchema = z.object({
  seed: z.number().finite(),
  falseLessonRate: z.number().min(0).max(1),
  overGeneralRate: z.number().min(0).max(1),
  credulityInjection: z.number().min(0).max(1),
  credulityFeedback: z.number().min(0).max(1),
});

/** Parameters of {@link createSimLearnerModel} and {@link createSimReflector}. */
export interface SimLearnerParams extends Partial<LearnerRates> {
  /** Seed of the learner's draws (with the prompt text). Default 1. */
  seed?: number;
}

/** A usage counter shared by the learning models. */
export interface UsageCounter {
  add(promptTokens: number, completionTokens: number): void;
  total(): ModelUsage;
}

export function createUsageCounter(): UsageCounter {
  const usage = { calls: 0, promptTokens: 0, completionTokens: 0 };
  return {
    add(promptTokens, completionTokens) {
      usage.calls += 1;
      usage.promptTokens += promptTokens;
      usage.completionTokens += completionTokens;
    },
    total: () => ({ ...usage }),
  };
}

/** How the learner words the situation a tool's lesson is for. */
const TOPICS: Readonly<Record<string, string>> = {
  create_invoice: "invoicing a customer for an order",
  send_invoice: "emailing an invoice to the customer",
  ship_order: "shipping an order",
  create_order: "ordering items for a customer",
  get_customer: "looking up the email addresses of several customers",
  create_credit_note: "issuing a credit note on an invoice",
  issue_refund: "a customer asks for a refund of an order",
  issue_store_credit: "giving a customer store credit for an order",
  "*": "calling any tool of the API",
};
const PREFERENCE_TOPICS: Readonly<Record<string, string>> = {
  date_format: "writing a date for this user (delivery dates, replies)",
  units: "telling this user a distance",
  greeting: "drafting a reply for this user",
  confirm_above: "buying something for this user",
};

/**
 * The task a lesson came from, as a learner would cite it in the trigger: its
 * words without the particulars (ids, amounts, dates), so the lesson is found
 * again for tasks worded alike.
 */
function taskPattern(task: string): string {
  const words = requestPart(task).split(/\s+/).filter((word) => word !== "" && !/\d/.test(word));
  return words.join(" ").slice(0, 200);
}

function triggerFor(directive: Directive, task: string): string {
  const example = taskPattern(task);
  const seen = example === "" ? "" : `, as in tasks like "${example}"`;
  if (directive.kind === "preference") return `When ${PREFERENCE_TOPICS[directive.aspect] ?? "answering this user"}${seen}`;
  if (directive.kind === "define_term") return `When working on a task${seen === "" ? "" : ` like "${example}"`}`;
  const tool = directive.kind === "replace_tool" ? directive.from : directive.tool;
  return `When ${TOPICS[tool] ?? `calling ${tool}`} (${tool === "*" ? "any tool" : tool})${seen}`;
}

/**
 * A draft's directives in the learner's own words, one sentence each: every
 * phrasing is drawn by the seed, the episode's task and the directive, so one
 * episode is worded alike in every strategy (learner and reflector alike).
 */
function wordingOf(draft: DraftLesson, task: string, seed: number): string {
  return draft.directives.map((directive) => paraphraseDirective(directive, keyedRandom(seed, "wording", task, directiveKey(directive)))).join(" ");
}

/** The tools a directive changes the use of (none for an all-tools one, a preference or a defined term). */
function toolsOf(directive: Directive): string[] {
  switch (directive.kind) {
    case "replace_tool":
      return [directive.from, directive.to];
    case "batch_calls":
      return [directive.tool, directive.batchTool];
    case "route_above":
      return directive.tool === "*" ? [] : [directive.tool, directive.instead];
    case "preference":
    case "define_term":
      return [];
    default:
      return directive.tool === "*" ? [] : [directive.tool];
  }
}

/**
 * A draft as the learner node's structured answer holds it; `task` is the
 * episode's task, which the trigger cites. Its tools are those its directives
 * change the use of that the run called (`called`, read from the trajectory in
 * the prompt), as a real learner names them from the run it is shown.
 */
export function proposedLesson(draft: DraftLesson, task: string, seed: number, called: ReadonlySet<string> = new Set()): ProposedLesson {
  const first = draft.directives[0] as Directive;
  const tools = [...new Set(draft.directives.flatMap(toolsOf))].filter((tool) => called.has(tool));
  return {
    trigger: triggerFor(first, task),
    guidance: wordingOf(draft, task, seed),
    rationale: `The run showed: ${draft.evidence.slice(0, 300)}`,
    kind: draft.kind,
    appliesTo: draft.appliesTo,
    ...(tools.length === 0 ? {} : { tools }),
  };
}

/** How a new lesson relates to an existing one: by the directives each states. */
export function compareDirectives(existing: readonly Directive[], candidate: readonly Directive[]): LessonRelation {
  if (existing.length === 0 || candidate.length === 0) return "different";
  const keys = (directives: readonly Directive[]) => [...new Set(directives.map(directiveKey))].sort().join("\n");
  if (keys(existing) === keys(candidate)) return "same";
  const slots = slotsOf(existing);
  return [...slotsOf(candidate)].some((slot) => slots.has(slot)) ? "refines" : "different";
}

function textOf(message: BaseMessage | undefined): string {
  if (message === undefined) return "";
  const { content } = message;
  if (typeof content === "string") return content;
  return content.map((part) => (typeof part === "object" && part !== null && "text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

/** The structured-output tool a call forces (`propose_lessons`, `compare_lessons`). */
function forcedTool(call: ScriptedCall): string | undefined {
  const choice = call.options.tool_choice;
  return typeof choice === "string" ? choice : call.tools[0]?.name;
}

/** The users named in the scopes of the cases under one heading of the repair prompt. */
function usersIn(section: string): Set<string> {
  return new Set([...section.matchAll(/, scope [^\s)]*\/user:([^\s/)]+)/g)].map((match) => match[1] as string));
}

/**
 * How the simulated learner repairs a rejected lesson: it can only narrow who
 * the lesson is for. When the lesson reaches several users and the cases it
 * broke belong to other users than the cases it fixed, it keeps the lesson's
 * words for the fixed cases' user alone; otherwise it gives up (it cannot
 * tell which part of a wrong value or an all-tools rule is to blame).
 */
function repairAnswer(human: string): Record<string, unknown> {
  const width = /appliesTo "(user|agent|tenant)"/.exec(human)?.[1];
  const lesson = /<rejected_lesson[^>]*>\s*When: ([^\n]*)\nDo: ([^\n]*)\nWhy: ([^\n<]*)/.exec(human);
  const brokenAt = human.indexOf("Cases it broke");
  const fixedAt = human.indexOf("Cases it fixed");
  const broken = usersIn(human.slice(brokenAt, fixedAt));
  const fixed = usersIn(human.slice(fixedAt));
  const fixedUser = [...fixed][0];
  const othersBroken = [...broken].some((user) => !fixed.has(user));
  if (width === "user" || lesson === null || fixed.size !== 1 || fixedUser === undefined || !othersBroken) {
    return { giveUp: true, reason: "Narrowing who the lesson is for would not keep the fixes apart from the breaks." };
  }
  return {
    giveUp: false,
    reason: `It broke other users' cases; it is kept for ${fixedUser} only.`,
    lesson: { trigger: lesson[1], guidance: lesson[2], rationale: `${lesson[3]} Kept for one user: it broke other users' cases.`, appliesTo: "user" },
  };
}

/**
 * The simulated learner model: a chat model that answers the real learner
 * node's prompts. For `propose_lessons` it reads the rendered episode in the
 * prompt (tool errors, the critic's report quoting the check, feedback or
 * audit, and the tool outputs) and proposes lessons that state directives of
 * the lesson language in its own words (paraphrase.ts), with its mistakes at
 * the given rates; for `compare_lessons` it compares the directives the two
 * lessons state, however each is worded. Its draws are keyed by the seed and the
 * prompt, so the same episode gets the same answer in every strategy.
 */
export function createSimLearnerModel({
  seed = 1,
  falseLessonRate = DEFAULT_LEARNER_RATES.falseLessonRate,
  overGeneralRate = DEFAULT_LEARNER_RATES.overGeneralRate,
  credulityInjection = DEFAULT_LEARNER_RATES.credulityInjection,
  credulityFeedback = DEFAULT_LEARNER_RATES.credulityFeedback,
  usage = createUsageCounter(),
}: SimLearnerParams & { usage?: UsageCounter } = {}): ScriptedChatModel {
  const rates = parseWith(RatesSchema, { seed, falseLessonRate, overGeneralRate, credulityInjection, credulityFeedback }, "simulated learner params");

  const respond = (call: ScriptedCall): ScriptedMessage | Error => {
    const human = textOf(call.messages.at(-1));
    const prompt = estimateTokens(call.messages.map(textOf).join("\n"));
    let structured: Record<string, unknown>;
    switch (forcedTool(call)) {
      case "propose_lessons": {
        const { view, maxLessons } = viewOfLearnerPrompt(human);
        const drafts = draftLessons(readEpisode(view), rates, keyedRandom(rates.seed, "learner", human), maxLessons);
        const called = new Set(view.steps.flatMap((step) => (step.type === "call" ? [step.name] : [])));
        const answer: LearnerAnswer = { lessons: drafts.map((draft) => proposedLesson(draft, view.task, rates.seed, called)) };
        structured = answer;
        break;
      }
      case "compare_lessons": {
        const existing = /<existing_lesson>([\s\S]*?)<\/existing_lesson>/.exec(human)?.[1] ?? "";
        const candidate = /<new_lesson>([\s\S]*?)<\/new_lesson>/.exec(human)?.[1] ?? "";
        // Lessons are compared by what they direct, however each is worded: the wording's exact inverse.
        const relation = compareDirectives(parseParaphrased(existing), parseParaphrased(candidate));
        structured = { relation, reason: `The lessons state ${relation === "same" ? "the same directives" : relation === "refines" ? "different values for the same thing" : "different things"}.` };
        break;
      }
      case "repair_lesson":
        structured = repairAnswer(human);
        break;
      default:
        return new Error(`The simulated learner model answers only the learner's propose_lessons, compare_lessons and repair_lesson calls, got "${String(forcedTool(call))}".`);
    }
    const completion = estimateTokens(JSON.stringify(structured));
    usage.add(prompt, completion);
    return { structured, usage: { input: prompt, output: completion } };
  };

  return new ScriptedChatModel({ responses: respond, name: "sim-learner" });
}

/**
 * The simulated Reflexion-style reflector: on a failed episode it reads the
 * same texts the learner reads, with the same rates, and writes a reflection
 * whose "next time" sentences state directives of the lesson language, worded
 * as the learner words them.
 */
export function createSimReflector(params: SimLearnerParams = {}): Reflector {
  const {
    seed = 1,
    falseLessonRate = DEFAULT_LEARNER_RATES.falseLessonRate,
    overGeneralRate = DEFAULT_LEARNER_RATES.overGeneralRate,
    credulityInjection = DEFAULT_LEARNER_RATES.credulityInjection,
    credulityFeedback = DEFAULT_LEARNER_RATES.credulityFeedback,
  } = params;
  const rates = parseWith(RatesSchema, { seed, falseLessonRate, overGeneralRate, credulityInjection, credulityFeedback }, "simulated reflector params");
  return {
    async reflect(episode: Episode) {
      if (episode.outcome.status !== "failure") return { text: undefined, usage: { calls: 0, promptTokens: 0, completionTokens: 0 } };
      const view = viewOfEpisode(episode);
      const seen = JSON.stringify(view);
      const drafts = draftLessons(readEpisode(view), rates, keyedRandom(rates.seed, "reflector", seen), 3);
      const advice = drafts.map((draft) => wordingOf(draft, view.task, rates.seed)).join(" ");
      const text =
        `Reflection on "${episode.input.slice(0, 200)}": the attempt failed (${episode.outcome.signal.detail.slice(0, 300)}). ` +
        (advice === "" ? "I could not tell what to do differently." : `Next time: ${advice}`);
      return { text, usage: { calls: 1, promptTokens: estimateTokens(seen), completionTokens: estimateTokens(text) } };
    },
  };
}
