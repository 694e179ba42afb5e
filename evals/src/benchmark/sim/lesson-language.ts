import { z } from "zod";
import { DateFormatSchema, formatDate } from "../environments/date-format.js";

/**
 * The lesson language of the simulation: a closed set of directives, each
 * with one canonical English sentence (the oracle's rules and the worlds'
 * truths are written in it) that `parseDirectives` reads back. The simulated
 * learner words the same directives in other ways (`paraphrase.ts`), and the
 * simulated agent reads lessons by meaning (`lesson-reader.ts`), not by these
 * sentences.
 *
 * `tool: "*"` means every tool (an over-general lesson).
 */

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a snake_case name");
const toolName = z.union([name, z.literal("*")]);
const paramValue = z.union([z.string().min(1).max(200), z.number(), z.boolean()]);

/** The greetings a user may prefer. */
export const GreetingSchema = z.enum(["Dear", "Hi", "Hello"]);
/** The distance units a user may prefer. */
export const DistanceUnitSchema = z.enum(["km", "miles"]);

const PreferenceSchema = z.discriminatedUnion("aspect", [
  z.object({ kind: z.literal("preference"), aspect: z.literal("date_format"), value: DateFormatSchema }).strict(),
  z.object({ kind: z.literal("preference"), aspect: z.literal("units"), value: DistanceUnitSchema }).strict(),
  z.object({ kind: z.literal("preference"), aspect: z.literal("greeting"), value: GreetingSchema }).strict(),
  z.object({ kind: z.literal("preference"), aspect: z.literal("confirm_above"), value: z.number().nonnegative() }).strict(),
]);

/** One directive of the lesson language, as parsed from text (or built by a world or the learner). */
export const DirectiveSchema = z.union([
  z.object({ kind: z.literal("rename_field"), tool: toolName, from: name, to: name }).strict(),
  z.object({ kind: z.literal("scale_value"), tool: toolName, field: name, factor: z.number().positive() }).strict(),
  z.object({ kind: z.literal("include_param"), tool: toolName, param: name, value: paramValue }).strict(),
  z.object({ kind: z.literal("replace_tool"), from: name, to: name }).strict(),
  z.object({ kind: z.literal("format_field"), tool: toolName, field: name, format: DateFormatSchema }).strict(),
  z.object({ kind: z.literal("batch_calls"), tool: name, batchTool: name, param: name }).strict(),
  z
    .object({
      kind: z.literal("route_above"),
      tool: toolName,
      quantity: z.enum(["amount", "days_since_delivery"]),
      above: z.number().nonnegative(),
      instead: name,
    })
    .strict(),
  PreferenceSchema,
  // A name for a value, which another directive may use as "{name}": alone it changes no call.
  z.object({ kind: z.literal("define_term"), term: name, value: z.string().min(1).max(200) }).strict(),
]);
export type Directive = z.infer<typeof DirectiveSchema>;
export type DirectiveKind = Directive["kind"];
export type PreferenceDirective = Extract<Directive, { kind: "preference" }>;
export type PreferenceAspect = PreferenceDirective["aspect"];

/** The date every date-format example is written with. */
export const EXAMPLE_DATE = "2026-11-24";

const callingTool = (tool: string) => (tool === "*" ? "When calling any tool" : `When calling ${tool}`);
const beforeTool = (tool: string) => (tool === "*" ? "Before calling any tool" : `Before calling ${tool}`);

/** A number as a lesson writes it: no trailing zeros, no exponent. */
export function lessonNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}

/** The sentence that states `directive`. */
export function renderDirective(directive: Directive): string {
  switch (directive.kind) {
    case "rename_field":
      return `${callingTool(directive.tool)}, send the field "${directive.to}" instead of "${directive.from}".`;
    case "scale_value":
      return `${callingTool(directive.tool)}, multiply "${directive.field}" by ${lessonNumber(directive.factor)} before sending it.`;
    case "include_param":
      return `${callingTool(directive.tool)}, always include the parameter "${directive.param}" set to ${JSON.stringify(directive.value)}.`;
    case "replace_tool":
      return `Call ${directive.to} instead of ${directive.from}, with the same arguments.`;
    case "format_field":
      return `${callingTool(directive.tool)}, write "${directive.field}" in the format ${directive.format}.`;
    case "batch_calls":
      return `Do not call ${directive.tool} once per id: call ${directive.batchTool} once with all the ids in "${directive.param}".`;
    case "route_above":
      return directive.quantity === "amount"
        ? `${beforeTool(directive.tool)}: when the amount is above ${lessonNumber(directive.above)} EUR, call ${directive.instead} instead.`
        : `${beforeTool(directive.tool)}: when the order was delivered more than ${lessonNumber(directive.above)} days ago, call ${directive.instead} instead.`;
    case "define_term":
      return `The name "${directive.term}" stands for ${JSON.stringify(directive.value)}.`;
    case "preference":
      switch (directive.aspect) {
        case "date_format":
          return `Write dates for this user like ${formatDate(EXAMPLE_DATE, directive.value)} (${directive.value}).`;
        case "units":
          return `Give distances to this user in ${directive.value === "miles" ? "miles" : "kilometres"}.`;
        case "greeting":
          return `Start replies to this user with "${directive.value}".`;
        case "confirm_above":
          return `Ask this user for confirmation before placing an order above ${lessonNumber(directive.value)} EUR.`;
      }
  }
}

/** Several directives as one guidance text, one sentence each. */
export function renderDirectives(directives: readonly Directive[]): string {
  return directives.map(renderDirective).join(" ");
}

const TOOL = String.raw`(any tool|[a-z][a-z0-9_]*)`;
const NAME = String.raw`([a-z][a-z0-9_]*)`;
const NUM = String.raw`(\d+(?:\.\d+)?)`;
const FORMAT = `(${DateFormatSchema.options.map((format) => format.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})`;

const toolOf = (text: string | undefined) => (text === "any tool" ? "*" : text);

/** One sentence pattern and how its match becomes a directive (before validation). */
interface Pattern {
  regex: RegExp;
  build: (match: RegExpMatchArray) => unknown;
}

const PATTERNS: readonly Pattern[] = [
  {
    regex: new RegExp(`When calling ${TOOL}, send the field "${NAME}" instead of "${NAME}"\\.`, "g"),
    build: (m) => ({ kind: "rename_field", tool: toolOf(m[1]), to: m[2], from: m[3] }),
  },
  {
    regex: new RegExp(`When calling ${TOOL}, multiply "${NAME}" by ${NUM} before sending it\\.`, "g"),
    build: (m) => ({ kind: "scale_value", tool: toolOf(m[1]), field: m[2], factor: Number(m[3]) }),
  },
  {
    regex: new RegExp(`When calling ${TOOL}, always include the parameter "${NAME}" set to ("(?:[^"\\\\]|\\\\.)*"|true|false|-?\\d+(?:\\.\\d+)?)\\.`, "g"),
    build: (m) => ({ kind: "include_param", tool: toolOf(m[1]), param: m[2], value: JSON.parse(m[3] ?? "null") as unknown }),
  },
  {
    regex: new RegExp(`Call ${NAME} instead of ${NAME}, with the same arguments\\.`, "g"),
    build: (m) => ({ kind: "replace_tool", to: m[1], from: m[2] }),
  },
  {
    regex: new RegExp(`When calling ${TOOL}, write "${NAME}" in the format ${FORMAT}\\.`, "g"),
    build: (m) => ({ kind: "format_field", tool: toolOf(m[1]), field: m[2], format: m[3] }),
  },
  {
    regex: new RegExp(`Do not call ${NAME} once per id: call ${NAME} once with all the ids in "${NAME}"\\.`, "g"),
    build: (m) => ({ kind: "batch_calls", tool: m[1], batchTool: m[2], param: m[3] }),
  },
  {
    regex: new RegExp(`Before calling ${TOOL}: when the amount is above ${NUM} EUR, call ${NAME} instead\\.`, "g"),
    build: (m) => ({ kind: "route_above", tool: toolOf(m[1]), quantity: "amount", above: Number(m[2]), instead: m[3] }),
  },
  {
    regex: new RegExp(`Before calling ${TOOL}: when the order was delivered more than ${NUM} days ago, call ${NAME} instead\\.`, "g"),
    build: (m) => ({ kind: "route_above", tool: toolOf(m[1]), quantity: "days_since_delivery", above: Number(m[2]), instead: m[3] }),
  },
  {
    regex: new RegExp(`Write dates for this user like [^()\\n]+ \\(${FORMAT}\\)\\.`, "g"),
    build: (m) => ({ kind: "preference", aspect: "date_format", value: m[1] }),
  },
  {
    regex: new RegExp(`The name "${NAME}" stands for ("(?:[^"\\\\]|\\\\.)*")\\.`, "g"),
    build: (m) => ({ kind: "define_term", term: m[1], value: JSON.parse(m[2] ?? "null") as unknown }),
  },
  {
    regex: /Give distances to this user in (miles|kilometres)\./g,
    build: (m) => ({ kind: "preference", aspect: "units", value: m[1] === "miles" ? "miles" : "km" }),
  },
  {
    regex: /Start replies to this user with "(\w+)"\./g,
    build: (m) => ({ kind: "preference", aspect: "greeting", value: m[1] }),
  },
  {
    regex: new RegExp(`Ask this user for confirmation before placing an order above ${NUM} EUR\\.`, "g"),
    build: (m) => ({ kind: "preference", aspect: "confirm_above", value: Number(m[1]) }),
  },
];

/** A directive found in a text, with where its sentence starts and ends. */
export interface FoundDirective {
  start: number;
  end: number;
  directive: Directive;
}

/** Every canonical sentence in `text` (see {@link parseDirectives}), with its position, in text order. */
export function findDirectives(text: string): FoundDirective[] {
  const found: FoundDirective[] = [];
  for (const { regex, build } of PATTERNS) {
    for (const match of text.matchAll(regex)) {
      const parsed = DirectiveSchema.safeParse(build(match));
      if (parsed.success) found.push({ start: match.index, end: match.index + match[0].length, directive: parsed.data });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Every directive stated in `text` in its canonical sentence (the one
 * {@link renderDirective} writes), in the order it states them. Sentences
 * that are not directives are ignored, and so is a sentence whose values do
 * not validate (e.g. an unknown date format). Other wordings are read by
 * `parseParaphrased` (exactly) and by the agent's `readLessons` (by meaning).
 */
export function parseDirectives(text: string): Directive[] {
  return findDirectives(text).map(({ directive }) => directive);
}

/**
 * What a directive decides: two directives with the same slot conflict (the
 * agent follows the first it reads), e.g. two scalings of one field.
 */
export function directiveSlot(directive: Directive): string {
  switch (directive.kind) {
    case "rename_field":
      return `rename:${directive.tool}:${directive.from}`;
    case "scale_value":
      return `scale:${directive.tool}:${directive.field}`;
    case "include_param":
      return `include:${directive.tool}:${directive.param}`;
    case "replace_tool":
      return `replace:${directive.from}`;
    case "format_field":
      return `format:${directive.tool}:${directive.field}`;
    case "batch_calls":
      return `batch:${directive.tool}`;
    case "route_above":
      return `route:${directive.tool}:${directive.quantity}:${directive.instead}`;
    case "preference":
      return `preference:${directive.aspect}`;
    case "define_term":
      return `term:${directive.term}`;
  }
}

/** The term a parameter value refers to (`"{audit_desk}"` → `audit_desk`), if it is a reference. */
export function termReference(value: unknown): string | undefined {
  return typeof value === "string" ? /^\{([a-z][a-z0-9_]*)\}$/.exec(value)?.[1] : undefined;
}

/** A canonical key: equal keys, equal directives. */
export function directiveKey(directive: Directive): string {
  return renderDirective(directive);
}
