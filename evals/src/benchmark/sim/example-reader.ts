import { detectDateFormat, formatDate, parseDate } from "../environments/date-format.js";
import { round } from "../environments/world-kit.js";
import { dateFormatsWritten } from "./lesson-reader.js";
import { GreetingSchema, type PreferenceAspect } from "./lesson-language.js";

/**
 * How the simulated agent uses the worked examples in its prompt (experience
 * replay): only from their rendered text — the task, one line a step
 * (`call tool({...})`, `tool → <tool_output …>…</tool_output>`,
 * `assistant: …`), lines clipped as the loop condensed them.
 *
 * The rule, explicit:
 * - An example is used only on a task similar to its own: the two tasks'
 *   words (letters only, lower-cased, so ids, amounts and dates do not count)
 *   overlap by at least {@link SIMILAR_TASK_WORDS} (Jaccard). Of several, the
 *   most similar (the first listed on a tie).
 * - On such a task the agent copies how the example called each tool, as a
 *   model copies a worked example: an undocumented tool called with the same
 *   argument names as the planned one replaces it; a single renamed argument
 *   takes the example's name; an argument the example added is added with its
 *   value (unless the value is one the example's task stated and this task
 *   does not); a number the example wrote scaled (×10ⁿ) from a number of its
 *   task is scaled alike; a date the example wrote in another format is
 *   written in that format; repeated lookups become the one batch call the
 *   example made. From the example's answer it takes the greeting, the date
 *   format and the distance unit it wrote.
 * - It copies whether or not the world has moved since: an example that went
 *   stale but is still served is copied too (the risk the benchmark measures).
 * - Lessons it follows win: the example fills only what no followed lesson
 *   speaks to (the caller passes the fields and tools they cover).
 */

/** Jaccard overlap of two tasks' words from which an example counts as a similar task. */
export const SIMILAR_TASK_WORDS = 0.6;

/** A call an example shows, with whether the result line after it reports success. */
export interface ExampleCall {
  tool: string;
  args: Record<string, unknown>;
  ok: boolean;
}

/** An example as the agent reads it from its prompt. */
export interface ReadExample {
  task: string;
  /** The calls whose line could be read whole (a clipped line is not a call the agent can copy). */
  calls: ExampleCall[];
  /** The final answer line, when shown. */
  answer?: string;
}

const EXAMPLE_LINE = /^Example \d+\. Task: (.*)$/;
const STEP_LINE = /^\s+- (.*)$/;
const CALL_LINE = /^call ([A-Za-z_][\w.-]*)\((.*)\)$/;

/**
 * Splits the prompt's context into the lessons and the examples: the examples
 * block starts at the heading line just before the first "Example 1. Task:".
 */
export function splitContext(context: string): { lessons: string; examples: string } {
  const lines = context.split("\n");
  const first = lines.findIndex((line) => EXAMPLE_LINE.test(line));
  if (first === -1) return { lessons: context, examples: "" };
  const start = first > 0 && lines[first - 1]?.trim().endsWith(":") ? first - 1 : first;
  return { lessons: lines.slice(0, start).join("\n").trimEnd(), examples: lines.slice(start).join("\n") };
}

function parseArgs(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The examples of a context's examples block, in the order shown. */
export function readExamples(block: string): ReadExample[] {
  const examples: ReadExample[] = [];
  let current: ReadExample | undefined;
  let pending: { tool: string; args: Record<string, unknown> } | undefined;
  const flush = () => {
    if (pending !== undefined && current !== undefined) current.calls.push({ ...pending, ok: false });
    pending = undefined;
  };
  for (const line of block.split("\n")) {
    const task = EXAMPLE_LINE.exec(line);
    if (task !== null) {
      flush();
      current = { task: task[1] as string, calls: [] };
      examples.push(current);
      continue;
    }
    const step = STEP_LINE.exec(line)?.[1];
    if (step === undefined || current === undefined) continue;
    const call = CALL_LINE.exec(step);
    if (call !== null) {
      flush();
      const args = parseArgs(call[2] as string);
      if (args !== undefined) pending = { tool: call[1] as string, args };
    } else if (pending !== undefined && step.startsWith(`${pending.tool} `)) {
      current.calls.push({ ...pending, ok: step.startsWith(`${pending.tool} →`) });
      pending = undefined;
    } else if (step.startsWith("assistant: ")) {
      flush();
      current.answer = step.slice("assistant: ".length);
    }
  }
  flush();
  return examples;
}

const wordsOf = (text: string) => new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);

/** Jaccard overlap of the two tasks' words (letters only). */
export function taskSimilarity(a: string, b: string): number {
  const left = wordsOf(a);
  const right = wordsOf(b);
  const shared = [...left].filter((word) => right.has(word)).length;
  const union = left.size + right.size - shared;
  return union === 0 ? 0 : shared / union;
}

/** The example the agent would copy on `task`: the most similar at or above {@link SIMILAR_TASK_WORDS}, if any. */
export function exampleFor(task: string, examples: readonly ReadExample[]): ReadExample | undefined {
  let best: { example: ReadExample; similarity: number } | undefined;
  for (const example of examples) {
    const similarity = taskSimilarity(task, example.task);
    if (similarity >= SIMILAR_TASK_WORDS && (best === undefined || similarity > best.similarity)) best = { example, similarity };
  }
  return best?.example;
}

/** What lessons the agent follows already decide for one call: examples leave those alone. */
export interface DecidedByLessons {
  /** A followed lesson names the tool to call instead. */
  tool: boolean;
  /** Argument names a followed lesson speaks to (renames, scales, formats, additions). */
  fields: ReadonlySet<string>;
}

const numbersIn = (text: string) => (text.match(/\d+(?:\.\d+)?/g) ?? []).map(Number);
const SCALES = [1000, 100, 10, 0.1, 0.01, 0.001];
const typeOf = (value: unknown) => (Array.isArray(value) ? "array" : typeof value);
const stated = (value: unknown, text: string) => (typeof value === "string" || typeof value === "number") && text.includes(String(value));

/** The factor the example applied to a number of its task to write `written`, if it wrote one scaled. */
function scaleShown(written: number, exampleTask: string): number | undefined {
  const numbers = numbersIn(exampleTask);
  if (numbers.includes(written)) return undefined;
  const factors = SCALES.filter((factor) => numbers.some((number) => Math.abs(round(number * factor, 6) - written) < 1e-6));
  return factors.length === 1 ? factors[0] : undefined;
}

/** The planned call as the example shows it is made: `documented` tells the agent's documented tools from new ones. */
export function copyExampleCall(
  planned: { tool: string; args: Record<string, unknown> },
  example: ReadExample,
  { task, documented, decided }: { task: string; documented: ReadonlySet<string>; decided: DecidedByLessons },
): { tool: string; args: Record<string, unknown> } {
  const names = Object.keys(planned.args).sort().join(",");
  const okCalls = example.calls.filter((call) => call.ok);
  let shown = okCalls.find((call) => call.tool === planned.tool);
  let tool = planned.tool;
  if (shown === undefined && !decided.tool) {
    shown = okCalls.find((call) => !documented.has(call.tool) && Object.keys(call.args).sort().join(",") === names);
    if (shown !== undefined) tool = shown.tool;
  }
  if (shown === undefined) return planned;
  const args: Record<string, unknown> = { ...planned.args };
  const free = (name: string) => !decided.fields.has(name);
  // One argument the example wrote under another name, of the same type: renamed.
  const missing = Object.keys(args).filter((name) => !(name in shown.args) && free(name));
  const added = Object.keys(shown.args).filter((name) => !(name in args) && free(name));
  if (missing.length === 1 && added.length === 1) {
    const [from, to] = [missing[0] as string, added[0] as string];
    if (typeOf(args[from]) === typeOf(shown.args[to])) {
      args[to] = args[from];
      delete args[from];
    }
  }
  for (const [name, value] of Object.entries(shown.args)) {
    if (!free(name)) continue;
    const own = args[name];
    if (own === undefined) {
      // A value the example's task asked for is that task's, unless this task asks for it too.
      if (!stated(value, example.task) || stated(value, task)) args[name] = value;
    } else if (typeof own === "number" && typeof value === "number") {
      const factor = scaleShown(value, example.task);
      if (factor !== undefined) args[name] = round(own * factor, 6);
    } else if (typeof own === "string" && typeof value === "string") {
      const mine = detectDateFormat(own);
      const theirs = detectDateFormat(value);
      const iso = mine === undefined ? undefined : parseDate(own, mine);
      if (iso !== undefined && theirs !== undefined && theirs !== mine) args[name] = formatDate(iso, theirs);
    }
  }
  return { tool, args };
}

/** The batch call the example made in place of repeated lookups: an undocumented tool given one list of ids. */
export function batchShown(example: ReadExample, documented: ReadonlySet<string>): { tool: string; param: string } | undefined {
  for (const call of example.calls) {
    const entries = Object.entries(call.args);
    if (!call.ok || documented.has(call.tool) || entries.length !== 1) continue;
    const [param, value] = entries[0] as [string, unknown];
    if (Array.isArray(value) && value.length > 1 && value.every((item) => typeof item === "string")) return { tool: call.tool, param };
  }
  return undefined;
}

/** What the example's answer shows of the user's preferences: its greeting, date format and distance unit. */
export function answerStyle(example: ReadExample): Partial<Record<Exclude<PreferenceAspect, "confirm_above">, string>> {
  const answer = example.answer;
  if (answer === undefined) return {};
  const style: Partial<Record<Exclude<PreferenceAspect, "confirm_above">, string>> = {};
  const greeting = GreetingSchema.safeParse(answer.split(/\s+/)[0]);
  if (greeting.success) style.greeting = greeting.data;
  const [format, ...others] = dateFormatsWritten(answer);
  if (format !== undefined && others.every((other) => other === format)) style.date_format = format;
  if (/\d miles\b/.test(answer)) style.units = "miles";
  else if (/\d km\b/.test(answer)) style.units = "km";
  return style;
}
