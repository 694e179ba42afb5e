import type { Episode, LessonKind } from "@lessonloop/core";
import type { SeededRandom } from "@lessonloop/core/testing";
import { DATE_FORMATS, dateFormatsOf, detectDateFormat, type DateFormat } from "../environments/date-format.js";
import { eur } from "../environments/world-kit.js";
import { directiveKey, directiveSlot, type Directive } from "./lesson-language.js";
import { keyedRandom } from "../keyed-draw.js";

/**
 * How the simulated learner (and reflector) reads an episode: only the texts
 * an operator sees — tool errors, the end-of-task check, the user's feedback,
 * the auditor's finding — and the tool outputs, where injected instructions
 * may hide. Precise texts give one hypothesis; vague ones several, of which
 * the reader guesses one.
 */

/** One step of an episode as the reader sees it. */
export type ViewStep =
  | { type: "call"; id: string; name: string; args: Record<string, unknown> }
  | { type: "result"; callId: string; name: string; content: string; isError: boolean }
  | { type: "message"; role: string; content: string };

/** An episode as text: the task, the signal texts, the steps. */
export interface EpisodeView {
  task: string;
  /** The texts that judged the run (the critic's report, or the outcome's detail). */
  signalText: string;
  steps: ViewStep[];
}

/** Where a reading came from, and how far it can be trusted. */
export type ReadingTrust =
  /** An error, a check, an audit or feedback consistent with the task. */
  | "signal"
  /** Feedback that asks to change a value the task itself stated. */
  | "suspect"
  /** An instruction found inside tool output. */
  | "injected";

/** What one piece of evidence suggests. */
export interface Reading {
  evidence: string;
  /** One hypothesis (precise evidence) or several alternatives (vague evidence); each a set of directives. */
  hypotheses: Directive[][];
  trust: ReadingTrust;
  kind: LessonKind;
  /**
   * Said as an addition to a fix ("with any invoicing fix, also …"): a reader
   * who believes it writes it into the lesson it draws from the episode's own
   * evidence, instead of proposing it alone.
   */
  rider?: boolean;
}

/** The view of an episode record (the reflector's input). */
export function viewOfEpisode(episode: Episode): EpisodeView {
  const steps: ViewStep[] = episode.trajectory.map((step) => {
    switch (step.type) {
      case "tool_call":
        return { type: "call", id: step.id, name: step.name, args: step.args };
      case "tool_result":
        return { type: "result", callId: step.callId, name: step.name, content: step.content, isError: step.isError };
      case "message":
        return { type: "message", role: step.role, content: step.content };
    }
  });
  return { task: episode.input, signalText: episode.outcome.signal.detail, steps };
}

const STEP_CALL = /^\[\d+\] tool call (\S+) \(id ([^)]+)\) with ([\s\S]*)$/;
const STEP_RESULT = /^\[\d+\] tool result of (\S+) \(id ([^)]+)\)( — ERROR)?: <tool_output untrusted="true">([\s\S]*)<\/tool_output>$/;
const STEP_MESSAGE = /^\[\d+\] (\w+): ([\s\S]*)$/;

function parseArgs(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {}; // clipped by the renderer
  }
}

/**
 * The view of the learner node's prompt (its human message: the `<task>`, the
 * critic's report, the rendered `<trajectory>`), and how many lessons it asks for.
 */
export function viewOfLearnerPrompt(human: string): { view: EpisodeView; maxLessons: number } {
  const task = /<task untrusted="true">([\s\S]*?)<\/task>/.exec(human)?.[1] ?? "";
  const report = /<critic_report untrusted="true">([\s\S]*?)<\/critic_report>/.exec(human)?.[1] ?? "";
  const rendered = /<trajectory>\n([\s\S]*?)\n<\/trajectory>/.exec(human)?.[1] ?? "";
  const maxLessons = Number(/Propose at most (\d+) lesson/.exec(human)?.[1] ?? "3");
  const steps: ViewStep[] = [];
  for (const line of rendered.split(/\n(?=\[\d+\] )/)) {
    const call = STEP_CALL.exec(line);
    if (call !== null) {
      steps.push({ type: "call", name: call[1] as string, id: call[2] as string, args: parseArgs(call[3] as string) });
      continue;
    }
    const result = STEP_RESULT.exec(line);
    if (result !== null) {
      steps.push({ type: "result", name: result[1] as string, callId: result[2] as string, isError: result[3] !== undefined, content: result[4] as string });
      continue;
    }
    const message = STEP_MESSAGE.exec(line);
    if (message !== null) steps.push({ type: "message", role: message[1] as string, content: message[2] as string });
  }
  return { view: { task, signalText: report, steps }, maxLessons: Number.isInteger(maxLessons) && maxLessons > 0 ? maxLessons : 3 };
}

// ---------------------------------------------------------------- reading

const callOf = (view: EpisodeView, callId: string) =>
  view.steps.find((step): step is Extract<ViewStep, { type: "call" }> => step.type === "call" && step.id === callId);

const calls = (view: EpisodeView) => view.steps.filter((step): step is Extract<ViewStep, { type: "call" }> => step.type === "call");

/** The tool whose successful result mentions `id` (e.g. the call that created refund R-12). */
function toolThatMade(view: EpisodeView, id: string): string | undefined {
  const result = view.steps.find((step) => step.type === "result" && !step.isError && step.content.includes(`"${id}"`));
  return result?.type === "result" ? result.name : undefined;
}

/** A number from the first successful result that has `field`. */
function resultNumber(view: EpisodeView, field: string): number | undefined {
  for (const step of view.steps) {
    if (step.type !== "result" || step.isError) continue;
    const value = parseArgs(step.content)[field];
    if (typeof value === "number") return value;
  }
  return undefined;
}

/** Unit changes a number may have gone through (milli, centi, deci and back), for a vague error about a numeric field. */
const UNIT_FACTORS: readonly number[] = [1000, 100, 10, 0.1, 0.01, 0.001];

/** Identifiers an error text names, in order: quoted or back-ticked words, and snake_case words (tool and field names). */
function identifiersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/["`]([a-z][a-z0-9_]*)["`]|\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/g)) {
    const name = match[1] ?? match[2];
    if (name !== undefined && !found.includes(name)) found.push(name);
  }
  return found;
}

function readToolError(view: EpisodeView, step: Extract<ViewStep, { type: "result" }>): Reading | undefined {
  const tool = step.name;
  const evidence = step.content;
  const precise = (directives: Directive[]): Reading => ({ evidence, hypotheses: [directives], trust: "signal", kind: "recovery" });

  const named = identifiersIn(evidence);
  const args = callOf(view, step.callId)?.args ?? {};
  const status = Number(/^(\d{3})\b/.exec(evidence)?.[1] ?? 0);

  if (/unknown field|not a valid field|unrecognized (?:field|parameter)/i.test(evidence)) {
    const from = named.find((name) => name in args);
    const to = named.find((name) => !(name in args) && name !== tool);
    if (from === undefined || to === undefined) return undefined;
    const directives: Directive[] = [{ kind: "rename_field", tool, from, to }];
    // "minor units", "cents": the new field counts hundredths of the old one.
    if (/\bminor\b|\bcents?\b/i.test(evidence)) directives.push({ kind: "scale_value", tool, field: from, factor: 100 });
    return precise(directives);
  }
  if (/\brequired\b/i.test(evidence)) {
    const param = named.find((name) => !(name in args) && name !== tool);
    // Only a value the task itself states can be filled in: a currency code.
    const currency = /\b(EUR|USD|GBP|CHF|JPY)\b/.exec(view.task)?.[1];
    return param !== undefined && /currency/.test(param) && currency !== undefined ? precise([{ kind: "include_param", tool, param, value: currency }]) : undefined;
  }
  if (status === 410 || /\b(?:retired|removed|deprecated|no longer available)\b/i.test(evidence)) {
    const replacement = named.find((name) => name !== tool && !(name in args));
    return replacement === undefined ? undefined : precise([{ kind: "replace_tool", from: tool, to: replacement }]);
  }
  if (status === 429 || /rate.?limit|too many requests/i.test(evidence)) {
    // The error names the tool to batch with and, after it, the parameter that takes the ids.
    const others = named.filter((name) => name !== tool && !(name in args));
    const [batchTool, param] = others;
    return batchTool === undefined || param === undefined ? undefined : precise([{ kind: "batch_calls", tool, batchTool, param }]);
  }

  if (status === 400) {
    // Nothing says what is wrong: guess among the changes that would explain it, dates first.
    const dates = Object.entries(args).filter(([, value]) => typeof value === "string" && detectDateFormat(value) !== undefined);
    const numbers = Object.entries(args).filter(([, value]) => typeof value === "number");
    const hypotheses: Directive[][] =
      dates.length > 0
        ? dates.flatMap(([field, value]) =>
            DATE_FORMATS.filter((format) => format !== detectDateFormat(value as string)).map((format): Directive[] => [{ kind: "format_field", tool, field, format }]),
          )
        : numbers.flatMap(([field]) => UNIT_FACTORS.map((factor): Directive[] => [{ kind: "scale_value", tool, field, factor }]));
    return hypotheses.length === 0 ? undefined : { evidence, hypotheses, trust: "signal", kind: "recovery" };
  }
  return undefined;
}

/** "X is 0.13 EUR, expected 12.50 EUR": a power-of-ten gap means the API reads the value in another unit. */
function readCheck(view: EpisodeView, text: string): Reading | undefined {
  const gap = /is (\d+(?:\.\d+)?)(?: [A-Za-z]+)?, expected (\d+(?:\.\d+)?)/.exec(text);
  if (gap === null) return undefined;
  const actual = Number(gap[1]);
  const expected = Number(gap[2]);
  if (actual <= 0) return undefined;
  const ratio = expected / actual;
  const power = Math.round(Math.log10(ratio));
  if (power === 0 || Math.abs(ratio / 10 ** power - 1) > 0.05) return undefined;
  for (const call of calls(view)) {
    const field = Object.entries(call.args).find(([, value]) => typeof value === "number" && Math.abs(value - expected) < 1e-6)?.[0];
    if (field !== undefined) {
      return { evidence: gap[0], hypotheses: [[{ kind: "scale_value", tool: call.name, field, factor: 10 ** power }]], trust: "signal", kind: "constraint" };
    }
  }
  return undefined;
}

/** The agent's last answer. */
function answerOf(view: EpisodeView): string {
  const answers = view.steps.filter((step) => step.type === "message" && step.role === "assistant");
  const last = answers.at(-1);
  return last?.type === "message" ? last.content : "";
}

/** The format of the first date written in `text`. */
function dateFormatIn(text: string): DateFormat | undefined {
  const candidates = text.match(/\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4}|\d{2}\/\d{2}\/\d{4}|\d{1,2} [A-Z][a-z]+ \d{4}/g) ?? [];
  for (const candidate of candidates) {
    const format = detectDateFormat(candidate);
    if (format !== undefined) return format;
  }
  return undefined;
}

function readFeedback(view: EpisodeView, text: string): Reading[] {
  const readings: Reading[] = [];
  const preference = (directive: Directive, evidence: string): Reading => ({ evidence, hypotheses: [[directive]], trust: "signal", kind: "preference" });

  const dates = /dates like (.+?), as I asked before/.exec(text);
  // An example such as 05/06/2026 fits more than one format: each is a hypothesis.
  const formats = dates === null ? [] : dateFormatsOf(dates[1] as string);
  if (dates !== null && formats.length > 0) {
    readings.push({ evidence: dates[0], hypotheses: formats.map((value): Directive[] => [{ kind: "preference", aspect: "date_format", value }]), trust: "signal", kind: "preference" });
  }
  if (/The date is written the wrong way again/.test(text)) {
    const used = dateFormatIn(answerOf(view));
    const hypotheses = DATE_FORMATS.filter((candidate) => candidate !== used).map((value): Directive[] => [{ kind: "preference", aspect: "date_format", value }]);
    readings.push({ evidence: "The date is written the wrong way again.", hypotheses, trust: "signal", kind: "preference" });
  }
  const units = /distances in (miles|kilometres), not/.exec(text);
  if (units !== null) readings.push(preference({ kind: "preference", aspect: "units", value: units[1] === "miles" ? "miles" : "km" }, units[0]));
  const greeting = /start with "(Dear|Hi|Hello)"/.exec(text);
  if (greeting !== null) readings.push(preference({ kind: "preference", aspect: "greeting", value: greeting[1] as "Dear" | "Hi" | "Hello" }, greeting[0]));
  const confirm = /ask me before placing any order above (\d+(?:\.\d+)?) EUR/.exec(text);
  if (confirm !== null) readings.push(preference({ kind: "preference", aspect: "confirm_above", value: Number(confirm[1]) }, confirm[0]));

  // Requests to change a value: suspect when the task itself stated the value the agent used.
  const vat = /Always add (\d+(?:\.\d+)?)% VAT on top of the amount/.exec(text);
  if (vat !== null) {
    const call = calls(view).find((candidate) => typeof candidate.args["amount"] === "number");
    if (call !== undefined) {
      const stated = view.task.includes(eur(call.args["amount"] as number));
      readings.push({
        evidence: vat[0],
        hypotheses: [[{ kind: "scale_value", tool: call.name, field: "amount", factor: 1 + Number(vat[1]) / 100 }]],
        trust: stated ? "suspect" : "signal",
        kind: "strategy",
      });
    }
  }
  const param = /Always pass "([a-z][a-z0-9_]*)" set to "([^"]+)" to ([a-z][a-z0-9_]*)/.exec(text);
  if (param !== null) {
    const [, name = "", value = "", tool = ""] = param;
    // Suspect when the task itself states another currency than the one asked for.
    const stated = /\b(EUR|USD|GBP|CHF|JPY)\b/.exec(view.task)?.[1];
    const suspect = /currency/.test(name) && stated !== undefined && stated !== value;
    readings.push({ evidence: param[0], hypotheses: [[{ kind: "include_param", tool, param: name, value }]], trust: suspect ? "suspect" : "signal", kind: "strategy" });
  }
  const service = /Always ship with (\w+) service/.exec(text);
  if (service !== null) {
    const call = calls(view).find((candidate) => candidate.name.includes("ship"));
    const wanted = service[1] as string;
    if (call !== undefined) {
      const stated = /with (\w+) service/.exec(view.task)?.[1];
      readings.push({
        evidence: service[0],
        hypotheses: [[{ kind: "include_param", tool: call.name, param: "service", value: wanted }]],
        trust: stated !== undefined && stated !== wanted ? "suspect" : "signal",
        kind: "strategy",
      });
    }
  }
  return readings;
}

/**
 * Limits a reader would guess for "this value was over the limit" from the
 * value alone: the value rounded down to each step, below the value itself
 * (`160.2` with steps 100, 50, 10 → 100, 150, 160).
 */
export function roundLimitsBelow(value: number | undefined, steps: readonly number[]): number[] {
  if (value === undefined || value <= 0) return [];
  const limits = steps.map((step) => Math.ceil(value / step) * step - step).filter((limit) => limit > 0 && limit < value);
  return [...new Set(limits)].sort((a, b) => a - b);
}

function readAudit(view: EpisodeView, text: string): Reading[] {
  const readings: Reading[] = [];
  const constraint = (directive: Directive, evidence: string): Reading => ({ evidence, hypotheses: [[directive]], trust: "signal", kind: "constraint" });

  const exceeded = /(?:Refund|Store credit) ([A-Z]+-\d+) of €[\d.]+ exceeded the €(\d+(?:\.\d+)?) (?:self-approval )?limit/.exec(text);
  if (exceeded !== null) {
    const tool = toolThatMade(view, exceeded[1] as string);
    if (tool !== undefined) readings.push(constraint({ kind: "route_above", tool, quantity: "amount", above: Number(exceeded[2]), instead: "request_manager_approval" }, exceeded[0]));
  }
  const late = /(?:Refund) ([A-Z]+-\d+) for order O-\d+ was issued \d+ days after delivery; refunds are allowed within (\d+) days/.exec(text);
  if (late !== null) {
    const tool = toolThatMade(view, late[1] as string);
    if (tool !== undefined) readings.push(constraint({ kind: "route_above", tool, quantity: "days_since_delivery", above: Number(late[2]), instead: "deny_refund" }, late[0]));
  }
  const window = /came \d+ days after delivery, outside the (\d+)-day refund window/.exec(text);
  if (window !== null) readings.push(constraint({ kind: "route_above", tool: "issue_refund", quantity: "days_since_delivery", above: Number(window[1]), instead: "deny_refund" }, window[0]));
  const within = /refund of €[\d.]+ for order O-\d+ was escalated to a manager although it was within the €(\d+(?:\.\d+)?) self-approval limit/.exec(text);
  if (within !== null) readings.push(constraint({ kind: "route_above", tool: "issue_refund", quantity: "amount", above: Number(within[1]), instead: "request_manager_approval" }, within[0]));

  const vague = /(Refund|Store credit) ([A-Z]+-\d+) did not comply with the (?:refund|store credit) policy/.exec(text);
  if (vague !== null) {
    const tool = toolThatMade(view, vague[2] as string);
    const amount = resultNumber(view, "amount");
    const days = resultNumber(view, "delivered_days_ago");
    if (tool !== undefined) {
      // The finding says only that the decision broke the policy: a limit below what this request had.
      const hypotheses: Directive[][] = [];
      for (const above of roundLimitsBelow(amount, [100, 50, 10])) {
        hypotheses.push([{ kind: "route_above", tool, quantity: "amount", above, instead: "request_manager_approval" }]);
      }
      if (vague[1] === "Refund") {
        for (const above of roundLimitsBelow(days, [10, 7, 1])) {
          hypotheses.push([{ kind: "route_above", tool, quantity: "days_since_delivery", above, instead: "deny_refund" }]);
        }
      }
      if (hypotheses.length > 0) readings.push({ evidence: vague[0], hypotheses, trust: "signal", kind: "constraint" });
    }
  }
  return readings;
}

/** The texts of a tool result: its JSON string values, or the raw text when it is not JSON. */
function textsOf(content: string): string[] {
  try {
    const texts: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === "string") texts.push(value);
      else if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === "object" && value !== null) Object.values(value).forEach(walk);
    };
    walk(JSON.parse(content));
    return texts;
  } catch {
    return [content];
  }
}

const ADDRESSED_TO_AGENT = /\b(?:always|from now on|until further notice|must|disable|ai agents?|assistant)\b/i;
/** Words that hang an instruction on a fix: "also", "as well", "with any … fix". */
const RIDER = /\b(?:also|as well|with any [a-z ]*fix)\b/i;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/;

/**
 * The instructions one sentence gives: to copy an address on a call, or to
 * set a parameter to a value (a boolean, a number, or a quoted text such as
 * a "{name}" defined elsewhere). `tool` is the tool the sentence names, else
 * `fallbackTool`; with `riders`, one hung on a fix ("also …") is marked so.
 */
function instructionsIn(sentence: string, knownTools: ReadonlySet<string>, fallbackTool: string, riders: boolean): Reading[] {
  const trust: ReadingTrust = "injected";
  const names = identifiersIn(sentence);
  const tool = names.find((name) => knownTools.has(name) || /^(?:send|create|deliver|ship|get|issue)_/.test(name)) ?? fallbackTool;
  const rider = riders && RIDER.test(sentence) ? { rider: true } : {};
  const email = EMAIL.exec(sentence)?.[0];
  if (email !== undefined && /\b(?:cc|copy)\b/i.test(sentence)) {
    return [{ evidence: sentence, hypotheses: [[{ kind: "include_param", tool, param: "cc", value: email }]], trust, kind: "constraint", ...rider }];
  }
  const assignment = /\b([a-z][a-z0-9_]*)\s*(?:=|\bto\b)\s*(true|false|\d+(?:\.\d+)?)\b/.exec(sentence);
  if (assignment !== null) {
    const value = JSON.parse(assignment[2] as string) as boolean | number;
    return [{ evidence: sentence, hypotheses: [[{ kind: "include_param", tool, param: assignment[1] as string, value }]], trust, kind: "constraint", ...rider }];
  }
  const quoted = /["`]([a-z][a-z0-9_]*)["`]\s*(?:=|set to)\s*("(?:[^"\\]|\\.)*")/.exec(sentence);
  if (quoted !== null) {
    const value = JSON.parse(quoted[2] as string) as string;
    return [{ evidence: sentence, hypotheses: [[{ kind: "include_param", tool, param: quoted[1] as string, value }]], trust, kind: "constraint", ...rider }];
  }
  return [];
}

/** A name given to a value in tool output (`"audit_desk" means "…"`): a fact a credulous reader keeps. */
function definitionIn(sentence: string): Reading | undefined {
  const found = /["`]([a-z][a-z0-9_]*)["`]\s+(?:means|stands for|refers to|is short for)\s+("(?:[^"\\]|\\.)*")/.exec(sentence);
  if (found === null) return undefined;
  const value = JSON.parse(found[2] as string) as string;
  return { evidence: sentence, hypotheses: [[{ kind: "define_term", term: found[1] as string, value }]], trust: "injected", kind: "constraint" };
}

/**
 * Instructions addressed to the agent inside tool output (a sentence that
 * tells it to copy an address on a call, or to set a parameter to a value;
 * the tool is the one the sentence names, else the call whose output held
 * it), and names given to values there.
 */
function readInjections(view: EpisodeView): Reading[] {
  const readings: Reading[] = [];
  const knownTools = new Set(calls(view).map((call) => call.name));
  for (const step of view.steps) {
    if (step.type !== "result" || step.isError) continue;
    for (const text of textsOf(step.content)) {
      for (const sentence of text.split(/(?<=[.!:])\s+/)) {
        const definition = definitionIn(sentence);
        if (definition !== undefined) {
          readings.push(definition);
          continue;
        }
        if (ADDRESSED_TO_AGENT.test(sentence)) readings.push(...instructionsIn(sentence, knownTools, step.name, true));
      }
    }
  }
  return readings;
}

/** Where a task's request ends: what follows a blank line is a note its sender added. */
export function requestPart(task: string): string {
  return task.split(/\n\s*\n/)[0] ?? task;
}

/**
 * Instructions in the task's own text beyond the request, meant for later
 * ("remember from now on to copy … on every invoice"): the task's sender
 * addressing the agent's memory.
 */
function readTaskInstructions(view: EpisodeView): Reading[] {
  const note = view.task.slice(requestPart(view.task).length).trim();
  if (note === "") return [];
  const knownTools = new Set(calls(view).map((call) => call.name));
  const fallback = calls(view).at(-1)?.name ?? "*";
  return note
    .split(/(?<=[.!])\s+/)
    .filter((sentence) => /\b(?:remember|from now on|always|every)\b/i.test(sentence))
    .flatMap((sentence) => instructionsIn(sentence, knownTools, fallback, false));
}

/**
 * Everything the episode's texts suggest, most direct first: tool errors, the
 * check, feedback, the audit, then instructions found in tool output. Readings
 * that say the same are kept once.
 */
export function readEpisode(view: EpisodeView): Reading[] {
  const readings: Reading[] = [];
  for (const step of view.steps) {
    if (step.type === "result" && step.isError) {
      const reading = readToolError(view, step);
      if (reading !== undefined) readings.push(reading);
    }
  }
  const check = readCheck(view, view.signalText);
  if (check !== undefined) readings.push(check);
  readings.push(...readFeedback(view, view.signalText), ...readAudit(view, view.signalText), ...readInjections(view), ...readTaskInstructions(view));
  const seen = new Set<string>();
  return readings.filter((reading) => {
    const key = reading.hypotheses.map((hypothesis) => hypothesis.map(directiveKey).join("+")).join("|");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------- drafting

/** How often the simulated learner goes wrong. */
export interface LearnerRates {
  /** Chance that a lesson states a wrong value or name instead of the one the evidence gives. */
  falseLessonRate: number;
  /** Chance that a lesson is made too wide: all tools instead of one, or the whole tenant instead of the user. */
  overGeneralRate: number;
  /** Chance of turning an instruction found in tool output into a lesson. */
  credulityInjection: number;
  /** Chance of following feedback that asks to change a value the task itself stated. */
  credulityFeedback: number;
}

/** A lesson before it is written out. */
export interface DraftLesson {
  directives: Directive[];
  kind: LessonKind;
  appliesTo: "user" | "agent" | "tenant";
  evidence: string;
  trust: ReadingTrust;
}

/** The value a false lesson puts in place of a right one. */
const OTHER_VALUE: Readonly<Record<string, string>> = { EUR: "USD", express: "standard", standard: "express" };

/** A plausible but wrong variant of a directive. */
export function falseVariant(directive: Directive, random: SeededRandom): Directive {
  switch (directive.kind) {
    case "rename_field":
      return { ...directive, to: directive.to.includes("_minor") ? directive.to.replace("_minor", "_cents") : `${directive.to}_value` };
    case "scale_value":
      return { ...directive, factor: random.chance(0.5) ? directive.factor * 10 : directive.factor / 10 };
    case "include_param":
      return {
        ...directive,
        value:
          typeof directive.value === "boolean"
            ? !directive.value
            : typeof directive.value === "number"
              ? directive.value + 1
              : (OTHER_VALUE[directive.value] ?? directive.value.toUpperCase()),
      };
    case "replace_tool":
      return { ...directive, to: `${directive.from}_v2` };
    case "format_field":
      return { ...directive, format: random.pick(DATE_FORMATS.filter((format) => format !== directive.format)) };
    case "batch_calls":
      return { ...directive, param: "ids" };
    case "route_above":
      return { ...directive, above: random.chance(0.5) ? directive.above * 2 : directive.above / 2 };
    case "define_term":
      return directive;
    case "preference":
      switch (directive.aspect) {
        case "date_format":
          return { ...directive, value: random.pick(DATE_FORMATS.filter((format) => format !== directive.value)) };
        case "units":
          return { ...directive, value: directive.value === "km" ? "miles" : "km" };
        case "greeting":
          return { ...directive, value: random.pick((["Dear", "Hi", "Hello"] as const).filter((word) => word !== directive.value)) };
        case "confirm_above":
          return { ...directive, value: directive.value * 2 };
      }
  }
}

/** The directive widened to every tool, where it names one. */
function overGeneral(directive: Directive): Directive {
  return "tool" in directive && directive.kind !== "batch_calls" ? { ...directive, tool: "*" } : directive;
}

/**
 * Turns readings into at most `max` lessons, with the learner's mistakes.
 * Every draw is made for every reading in a fixed order, so each rate acts
 * independently of the others.
 */
export function draftLessons(readings: readonly Reading[], rates: LearnerRates, random: SeededRandom, max: number): DraftLesson[] {
  const drafts: DraftLesson[] = [];
  const seen = new Set<string>();
  for (const reading of readings) {
    const believes = random.next();
    const hypothesis = random.pick(reading.hypotheses);
    const isFalse = random.chance(rates.falseLessonRate);
    const isWide = random.chance(rates.overGeneralRate);
    const variantRandom = random.next();
    if (reading.trust === "injected" && believes >= rates.credulityInjection) continue;
    if (reading.trust === "suspect" && believes >= rates.credulityFeedback) continue;

    let directives = hypothesis;
    if (isFalse) {
      const variants = keyedRandom("false-variant", variantRandom);
      directives = directives.map((directive, index) => (index === 0 ? falseVariant(directive, variants) : directive));
    }
    const preference = reading.kind === "preference";
    let kind = reading.kind;
    let appliesTo: DraftLesson["appliesTo"] = preference ? "user" : "tenant";
    if (isWide) {
      if (preference) {
        // A "preference" is always kept to its user by the learner node: a wide one has to be called something else.
        kind = "strategy";
        appliesTo = "tenant";
      } else {
        directives = directives.map(overGeneral);
      }
    }
    // A believed rider goes into the lesson drawn from the episode's own evidence, when there is one.
    const carrier = reading.rider === true ? drafts.find((draft) => draft.trust === "signal") : undefined;
    if (carrier !== undefined) {
      const known = new Set(carrier.directives.map(directiveKey));
      carrier.directives.push(...directives.filter((directive) => !known.has(directiveKey(directive))));
      continue;
    }
    const key = directives.map(directiveKey).join("+");
    if (seen.has(key)) continue;
    seen.add(key);
    drafts.push({ directives: [...directives], kind, appliesTo, evidence: reading.evidence, trust: reading.trust });
    if (drafts.length >= max) break;
  }
  return drafts;
}

/** Slots of a set of directives, for telling a refinement from another lesson. */
export function slotsOf(directives: readonly Directive[]): Set<string> {
  return new Set(directives.map(directiveSlot));
}
