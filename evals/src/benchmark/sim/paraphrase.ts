import type { SeededRandom } from "@lessonloop/core/testing";
import { DateFormatSchema, detectDateFormat, formatDate, type DateFormat } from "../environments/date-format.js";
import { DirectiveSchema, EXAMPLE_DATE, GreetingSchema, findDirectives, lessonNumber, type Directive } from "./lesson-language.js";

/**
 * How the simulated learner words a directive: each kind has several
 * phrasings — synonyms ("multiply", "scale … by a factor of", "… times …";
 * "instead of", "rather than", "in place of"), the condition first or last,
 * the tool named before or after — and field names in "double quotes" or
 * `back-ticks`. None of them is the canonical sentence of lesson-language.ts,
 * so an agent that matched the canonical sentences would understand nothing
 * the learner writes; the simulated agent reads by meaning (lesson-reader.ts).
 *
 * {@link parseParaphrased} is the exact inverse, for what must stay exact:
 * grading lessons and comparing two of them. The agent never uses it.
 */

type Quote = '"' | "`";
const QUOTES: readonly Quote[] = ['"', "`"];

const NAME = String.raw`[a-z][a-z0-9_]*`;
const NUMBER = String.raw`\d+(?:\.\d+)?`;
const JSON_VALUE = String.raw`"(?:[^"\\]|\\.)*"|true|false|-?\d+(?:\.\d+)?`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
// Longest first, so a format that begins like another is matched whole.
const FORMATS = [...DateFormatSchema.options].sort((a, b) => b.length - a.length).map(escape).join("|");
const GREETINGS = GreetingSchema.options.join("|");

/** How one kind of slot is written into a sentence and read back from it. */
interface SlotType {
  /** Regex source with capture groups; `all` is how the slot words "every tool", where it may. */
  pattern(all: string | undefined): string;
  /** The slot's text, or `undefined` when this phrasing cannot state the value. */
  write(value: unknown, quote: Quote, context: { all: string | undefined; namedElsewhere: boolean }): string | undefined;
  /** The value the captured text states; `undefined` when it states none (an example date in no known format). */
  read(captures: readonly (string | undefined)[], all: string | undefined): unknown;
}

const SLOT_TYPES: Readonly<Record<string, SlotType>> = {
  /** A bare tool name; "*" as the phrasing's words for every tool. */
  tool: {
    pattern: (all) => (all === undefined ? `(${NAME})` : `(${escape(all)}|${NAME})`),
    write: (value, _quote, { all }) => (value === "*" ? all : String(value)),
    read: ([text], all) => (all !== undefined && text === all ? "*" : text),
  },
  /** A field or parameter name in quotes or back-ticks. */
  quoted: {
    pattern: () => `(?:"(${NAME})"|\`(${NAME})\`)`,
    write: (value, quote) => `${quote}${String(value)}${quote}`,
    read: ([double, back]) => double ?? back,
  },
  number: {
    pattern: () => `(${NUMBER})`,
    write: (value) => lessonNumber(value as number),
    read: ([text]) => Number(text),
  },
  /** A parameter value as JSON: a quoted string, a number or a boolean. */
  json: {
    pattern: () => `(${JSON_VALUE})`,
    write: (value) => JSON.stringify(value),
    read: ([text]) => JSON.parse(text ?? "null") as unknown,
  },
  /** A date format by its name (`DD.MM.YYYY`). */
  format: {
    pattern: () => `(${FORMATS})`,
    write: (value) => String(value),
    read: ([text]) => text,
  },
  /** A date format by an example date; alone it states the format only when the example tells it apart from the others. */
  example: {
    pattern: () => String.raw`([^()\n]+?)`,
    write: (value, _quote, { namedElsewhere }) => {
      const example = formatDate(EXAMPLE_DATE, value as DateFormat);
      return namedElsewhere || detectDateFormat(example) === value ? example : undefined;
    },
    read: ([text]) => detectDateFormat(text ?? ""),
  },
  unit: {
    pattern: () => "(miles|kilometres)",
    write: (value) => (value === "miles" ? "miles" : "kilometres"),
    read: ([text]) => (text === "miles" ? "miles" : "km"),
  },
  unitShort: {
    pattern: () => "(miles|km)",
    write: (value) => String(value),
    read: ([text]) => text,
  },
  /** The unit the user does not want: states the value by naming its opposite. */
  otherUnit: {
    pattern: () => "(miles|kilometres)",
    write: (value) => (value === "miles" ? "kilometres" : "miles"),
    read: ([text]) => (text === "miles" ? "km" : "miles"),
  },
  greeting: {
    pattern: () => `(?:"(${GREETINGS})"|\`(${GREETINGS})\`)`,
    write: (value, quote) => `${quote}${String(value)}${quote}`,
    read: ([double, back]) => double ?? back,
  },
};

/** The directive shapes a phrasing is written for: a kind, with route_above's quantity and a preference's aspect. */
type Shape =
  | "rename_field"
  | "scale_value"
  | "include_param"
  | "replace_tool"
  | "format_field"
  | "batch_calls"
  | "route_above:amount"
  | "route_above:days_since_delivery"
  | "preference:date_format"
  | "preference:units"
  | "preference:greeting"
  | "preference:confirm_above"
  | "define_term";

const BASES: Readonly<Record<Shape, Record<string, unknown>>> = {
  rename_field: { kind: "rename_field" },
  scale_value: { kind: "scale_value" },
  include_param: { kind: "include_param" },
  replace_tool: { kind: "replace_tool" },
  format_field: { kind: "format_field" },
  batch_calls: { kind: "batch_calls" },
  "route_above:amount": { kind: "route_above", quantity: "amount" },
  "route_above:days_since_delivery": { kind: "route_above", quantity: "days_since_delivery" },
  "preference:date_format": { kind: "preference", aspect: "date_format" },
  "preference:units": { kind: "preference", aspect: "units" },
  "preference:greeting": { kind: "preference", aspect: "greeting" },
  "preference:confirm_above": { kind: "preference", aspect: "confirm_above" },
  define_term: { kind: "define_term" },
};

/**
 * The phrasings, one sentence each. `{property:slot}` writes a property of the
 * directive with a slot type; `{tool:tool:any tool}` also says how "every tool"
 * is worded there.
 */
const TEMPLATES: Readonly<Record<Shape, readonly string[]>> = {
  rename_field: [
    "Send {to:quoted} rather than {from:quoted} when calling {tool:tool:any tool}.",
    "For calls to {tool:tool:any tool}, the field {from:quoted} is now named {to:quoted}.",
    "{tool:tool:Every tool} expects the field {to:quoted} in place of {from:quoted}.",
    "Rename the field {from:quoted} to {to:quoted} before calling {tool:tool:any tool}.",
  ],
  scale_value: [
    "Scale {field:quoted} by a factor of {factor:number} when calling {tool:tool:any tool}.",
    "When calling {tool:tool:any tool}, send {factor:number} times the value of {field:quoted}.",
    "{tool:tool:Every tool} reads {field:quoted} in another unit: multiply it by {factor:number}.",
    "Before sending {field:quoted} to {tool:tool:any tool}, multiply the value by {factor:number}.",
  ],
  include_param: [
    "Add the parameter {param:quoted} with the value {value:json} to every call of {tool:tool:any tool}.",
    "When calling {tool:tool:any tool}, pass {param:quoted} = {value:json} every time.",
    "{tool:tool:Every tool} requires {param:quoted}: always send it as {value:json}.",
    "Never call {tool:tool:any tool} without {param:quoted}; set it to {value:json}.",
  ],
  replace_tool: [
    "Use {to:tool} in place of {from:tool}; the arguments stay the same.",
    "{from:tool} is retired, so call {to:tool} with the same arguments.",
    "Instead of calling {from:tool}, call {to:tool} with the same arguments.",
    "Route every {from:tool} call to {to:tool}, passing the same arguments.",
  ],
  format_field: [
    "When calling {tool:tool:any tool}, format {field:quoted} as {format:format}.",
    "Write {field:quoted} like {format:example} ({format:format}) in calls to {tool:tool:any tool}.",
    "{tool:tool:Every tool} wants {field:quoted} in the {format:format} format.",
    "Send {field:quoted} to {tool:tool:any tool} as a date such as {format:example}.",
  ],
  batch_calls: [
    "Look the ids up with one {batchTool:tool} call (all ids in {param:quoted}) rather than calling {tool:tool} for each.",
    "Rather than one {tool:tool} call per id, send every id in {param:quoted} to {batchTool:tool} at once.",
    "{tool:tool} is rate-limited: put the ids in {param:quoted} and call {batchTool:tool} once.",
    "Call {batchTool:tool} a single time with the ids in {param:quoted} instead of repeating {tool:tool}.",
  ],
  "route_above:amount": [
    "If the amount exceeds {above:number} EUR, call {instead:tool} rather than {tool:tool:any tool}.",
    "Amounts over €{above:number} must go to {instead:tool} instead of {tool:tool:any tool}.",
    "{tool:tool:Any tool} is only for amounts up to {above:number} EUR; above that, use {instead:tool}.",
    "Use {instead:tool} in place of {tool:tool:any tool} whenever the amount is greater than {above:number} EUR.",
  ],
  "route_above:days_since_delivery": [
    "If the order was delivered more than {above:number} days ago, call {instead:tool} rather than {tool:tool:any tool}.",
    "Orders delivered over {above:number} days ago must go to {instead:tool} instead of {tool:tool:any tool}.",
    "{tool:tool:Any tool} only applies within {above:number} days of delivery; after that, use {instead:tool}.",
    "Use {instead:tool} in place of {tool:tool:any tool} once more than {above:number} days have passed since delivery.",
  ],
  "preference:date_format": [
    "This user wants dates written as {value:format}, for example {value:example}.",
    "For this user, format every date like {value:example}.",
    "Dates for this user go in the {value:format} format.",
    "When writing a date for this user, use {value:format} ({value:example}).",
  ],
  "preference:units": [
    "This user measures distances in {value:unit}.",
    "For this user, give every distance in {value:unitShort}.",
    "Tell this user distances in {value:unit} rather than {value:otherUnit}.",
    "When this user asks how far something is, answer in {value:unit}.",
  ],
  "preference:greeting": [
    "Open every reply to this user with {value:greeting}.",
    "This user likes replies that begin with {value:greeting}.",
    "Greet this user with {value:greeting}.",
    "When replying to this user, the first word should be {value:greeting}.",
  ],
  "preference:confirm_above": [
    "Check with this user before any order over €{value:number}.",
    "Orders above {value:number} EUR need this user's confirmation first.",
    "For this user, confirm before buying anything that costs more than {value:number} EUR.",
    "Before placing an order of more than {value:number} EUR, get this user's approval.",
  ],
  define_term: [
    "In this account, {term:quoted} means {value:json}.",
    "{term:quoted} is the name for {value:json}.",
    "The term {term:quoted} refers to {value:json}.",
    "Read {term:quoted} as {value:json} wherever it appears.",
  ],
};

interface SlotUse {
  property: string;
  type: SlotType;
  all: string | undefined;
  /** Index of the slot's first capture group in the phrasing's regex. */
  group: number;
  groups: number;
}

interface Phrasing {
  shape: Shape;
  template: string;
  parts: readonly (string | SlotUse)[];
  regex: RegExp;
}

const SLOT = /\{(\w+):(\w+)(?::([^}]+))?\}/g;
const groupCount = (source: string) => (new RegExp(`${source}|`).exec("")?.length ?? 1) - 1;

function compile(shape: Shape, template: string): Phrasing {
  const parts: (string | SlotUse)[] = [];
  let source = "";
  let group = 1;
  let last = 0;
  for (const match of template.matchAll(SLOT)) {
    const [whole, property = "", typeName = "", all] = match;
    const type = SLOT_TYPES[typeName];
    if (type === undefined) throw new Error(`Phrasing "${template}" uses an unknown slot type "${typeName}".`);
    const literal = template.slice(last, match.index);
    parts.push(literal);
    source += escape(literal);
    const pattern = type.pattern(all);
    const groups = groupCount(pattern);
    parts.push({ property, type, all, group, groups });
    source += pattern;
    group += groups;
    last = match.index + whole.length;
  }
  const tail = template.slice(last);
  if (!tail.endsWith(".")) throw new Error(`Phrasing "${template}" must end its sentence with a full stop.`);
  parts.push(tail);
  // A sentence starts at a word boundary and its full stop ends it (a date's or a number's dots do not).
  source = `(?<![\\w"\`])${source}${escape(tail.slice(0, -1))}\\.(?=\\s|$)`;
  return { shape, template, parts, regex: new RegExp(source, "g") };
}

const PHRASINGS: readonly Phrasing[] = (Object.entries(TEMPLATES) as [Shape, readonly string[]][]).flatMap(([shape, templates]) =>
  templates.map((template) => compile(shape, template)),
);

function shapeOf(directive: Directive): Shape {
  if (directive.kind === "route_above") return `route_above:${directive.quantity}`;
  if (directive.kind === "preference") return `preference:${directive.aspect}`;
  return directive.kind;
}

function write(phrasing: Phrasing, directive: Directive, quote: Quote): string | undefined {
  const values = directive as unknown as Record<string, unknown>;
  const slots = phrasing.parts.filter((part): part is SlotUse => typeof part !== "string");
  let text = "";
  for (const part of phrasing.parts) {
    if (typeof part === "string") {
      text += part;
      continue;
    }
    const namedElsewhere = slots.some((other) => other !== part && other.property === part.property && other.type !== SLOT_TYPES["example"]);
    const written = part.type.write(values[part.property], quote, { all: part.all, namedElsewhere });
    if (written === undefined) return undefined;
    text += written;
  }
  return text;
}

function read(phrasing: Phrasing, match: RegExpMatchArray): Directive | undefined {
  const built: Record<string, unknown> = { ...BASES[phrasing.shape] };
  for (const part of phrasing.parts) {
    if (typeof part === "string") continue;
    const value = part.type.read(match.slice(part.group, part.group + part.groups), part.all);
    if (value === undefined) continue;
    // Two slots that state one property (a format and its example) must agree.
    if (part.property in built && built[part.property] !== value) return undefined;
    built[part.property] = value;
  }
  const parsed = DirectiveSchema.safeParse(built);
  return parsed.success ? parsed.data : undefined;
}

/** Every sentence the paraphraser may write for `directive`: each phrasing of its kind, in each quoting. */
export function paraphrasesOf(directive: Directive): string[] {
  const sentences = new Set<string>();
  for (const phrasing of PHRASINGS) {
    if (phrasing.shape !== shapeOf(directive)) continue;
    for (const quote of QUOTES) {
      const sentence = write(phrasing, directive, quote);
      if (sentence !== undefined) sentences.add(sentence);
    }
  }
  return [...sentences];
}

/** `directive` in one of its phrasings, chosen by `random`: the same draws give the same wording. */
export function paraphraseDirective(directive: Directive, random: SeededRandom): string {
  return random.pick(paraphrasesOf(directive));
}

/**
 * Every directive `text` states, in the paraphraser's phrasings or in the
 * canonical sentences, in text order: the exact inverse of
 * {@link paraphraseDirective} and of `renderDirective`. Anything else is
 * ignored, as is a sentence whose values do not validate.
 */
export function parseParaphrased(text: string): Directive[] {
  const found = findDirectives(text);
  for (const phrasing of PHRASINGS) {
    for (const match of text.matchAll(phrasing.regex)) {
      const directive = read(phrasing, match);
      if (directive !== undefined) found.push({ start: match.index, end: match.index + match[0].length, directive });
    }
  }
  // One sentence states one directive: where matches overlap, the one that starts first (then the longer) is it.
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Directive[] = [];
  let reached = 0;
  for (const { start, end, directive } of found) {
    if (start < reached) continue;
    kept.push(directive);
    reached = end;
  }
  return kept;
}
