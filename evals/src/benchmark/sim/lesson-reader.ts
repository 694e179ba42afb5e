import { DateFormatSchema, detectDateFormat, type DateFormat } from "../environments/date-format.js";
import { DirectiveSchema, GreetingSchema, type Directive } from "./lesson-language.js";

/**
 * How the simulated agent reads its lessons: by meaning, one sentence at a
 * time, the way a model skims advice. It knows what can be asked of it (the
 * directive kinds) but not how anyone words it: per sentence it recognises
 * the intent by cue words ("instead of", "multiply", "rename", "this user" …)
 * and fills the intent's slots from what the sentence mentions — tool names
 * (snake_case identifiers, or "any tool"), field names (quoted or
 * back-ticked identifiers), numbers, "EUR"/"€", "days", date formats by name
 * or by an example date, greetings, miles or kilometres. A sentence whose
 * intent or slots it cannot make out unambiguously teaches nothing.
 */

/** A stretch of a sentence that names something. */
interface Mention {
  start: number;
  end: number;
}
interface ToolMention extends Mention {
  tool: string;
}
interface NameMention extends Mention {
  name: string;
}
interface DateMention extends Mention {
  format: DateFormat;
}
interface NumberMention extends Mention {
  value: number;
}

/** What a sentence mentions, found before its intent is decided. */
interface Sentence {
  text: string;
  /** The text with quoted stretches blanked, lower-cased: where cue words are looked for (a field called "amount" is not a cue). */
  cues: string;
  tools: ToolMention[];
  quoted: NameMention[];
  dates: DateMention[];
  numbers: NumberMention[];
}

const QUOTED_STRETCH = /"(?:[^"\\\n]|\\.)*"|`[^`\n]*`/g;
const QUOTED_IDENTIFIER = /(["`])([a-z][a-z0-9_]*)\1/g;
// Tool names are snake_case: at least one underscore sets them apart from English words.
const TOOL_NAME = /(?<![\w@.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@-])/g;
const EVERY_TOOL = /\b(?:any|every|all) tools?\b/gi;
const NUMBER = /(?<![\w.,/-])\d+(?:\.\d+)?(?![\w/]|\.\d)/g;
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|vs)\.$/i;

/** Blanks the inside of quoted stretches, keeping every position. */
function blankQuotes(text: string): string {
  return text.replace(QUOTED_STRETCH, (stretch) => `${stretch[0]}${"·".repeat(stretch.length - 2)}${stretch[0]}`);
}

/** Dates written in any known format, found by trying runs of up to four words (a date may be "24 November 2026"). */
function findDates(blanked: string): DateMention[] {
  const words = [...blanked.matchAll(/\S+/g)].map((match) => ({ start: match.index, end: match.index + match[0].length }));
  const found: DateMention[] = [];
  let index = 0;
  while (index < words.length) {
    let matched: DateMention | undefined;
    for (let length = Math.min(4, words.length - index); length >= 1 && matched === undefined; length--) {
      const first = words[index] as Mention;
      const last = words[index + length - 1] as Mention;
      const raw = blanked.slice(first.start, last.end);
      if (!/\d/.test(raw)) continue; // every date has digits: most runs of words can be passed over unread
      const lead = /^[("'`]*/.exec(raw)?.[0].length ?? 0;
      const trimmed = raw.slice(lead).replace(/[)"'`,;:!?]*$/, "");
      // A sentence's full stop may follow the date; a format with dots keeps its own.
      for (const candidate of [trimmed, trimmed.replace(/\.$/, "")]) {
        const format = detectDateFormat(candidate);
        if (format !== undefined) {
          matched = { start: first.start + lead, end: first.start + lead + candidate.length, format };
          index += length;
          break;
        }
      }
    }
    if (matched === undefined) index += 1;
    else found.push(matched);
  }
  return found;
}

/** The formats of the dates written in `text` (not of format names), in order: how a date-writing text writes them. */
export function dateFormatsWritten(text: string): DateFormat[] {
  return findDates(blankQuotes(text)).map((date) => date.format);
}

/** Date formats named in the text (`DD.MM.YYYY`), longest names first so one never hides inside another. */
function findFormatNames(text: string, taken: readonly Mention[]): DateMention[] {
  const found: DateMention[] = [];
  const names = [...DateFormatSchema.options].sort((a, b) => b.length - a.length);
  const free = (start: number, end: number) => [...taken, ...found].every((mention) => end <= mention.start || start >= mention.end);
  for (const format of names) {
    let from = 0;
    for (let at = text.indexOf(format, from); at !== -1; at = text.indexOf(format, from)) {
      if (free(at, at + format.length)) found.push({ start: at, end: at + format.length, format });
      from = at + format.length;
    }
  }
  return found;
}

function analyse(text: string): Sentence {
  const blanked = blankQuotes(text);
  const tools: ToolMention[] = [
    ...[...blanked.matchAll(TOOL_NAME)].map((match) => ({ start: match.index, end: match.index + match[0].length, tool: match[0] })),
    ...[...blanked.matchAll(EVERY_TOOL)].map((match) => ({ start: match.index, end: match.index + match[0].length, tool: "*" })),
  ].sort((a, b) => a.start - b.start);
  const quoted = [...text.matchAll(QUOTED_IDENTIFIER)].map((match) => ({ start: match.index, end: match.index + match[0].length, name: match[2] as string }));
  const examples = findDates(blanked);
  const dates = [...examples, ...findFormatNames(blanked, examples)].sort((a, b) => a.start - b.start);
  const inDate = (at: number) => dates.some((date) => at >= date.start && at < date.end);
  const numbers = [...blanked.matchAll(NUMBER)]
    .filter((match) => !inDate(match.index))
    .map((match) => ({ start: match.index, end: match.index + match[0].length, value: Number(match[0]) }));
  return { text, cues: blanked.toLowerCase(), tools, quoted, dates, numbers };
}

// ---------------------------------------------------------------- who is replaced

const REPLACED_BEFORE = /\b(?:instead of|rather than|in place of|not|never|don't|replace|replacing|rename|repeating|from|before calling)\b/;
const REPLACED_AFTER = /\b(?:retired|deprecated|removed|gone|rate-limited|rate limited|limited|now called|now named|only for|only applies|per id|for each|one by one)\b/;
const WANTED_BEFORE = /\b(?:use|call|to|into|with one)\W*$/;

/** The last (or first) few words of a stretch: the words next to a mention. */
const lastWords = (text: string, count = 4) => text.trim().split(/\s+/).slice(-count).join(" ");
const firstWords = (text: string, count = 4) => text.trim().split(/\s+/).slice(0, count).join(" ");

/**
 * Of two mentions, the one that is replaced (the old field or tool, the tool a
 * rule guards) and the one that replaces it — by the words around each:
 * "rather than X", "X is retired", "use Y". `undefined` when the words do not
 * tell them apart.
 */
function replacedAndWanted<M extends Mention>(sentence: Sentence, first: M, second: M): { replaced: M; wanted: M } | undefined {
  const [a, b] = first.start < second.start ? [first, second] : [second, first];
  const before = (mention: M) => lastWords(sentence.cues.slice(mention === a ? 0 : a.end, mention.start));
  const after = (mention: M) => firstWords(sentence.cues.slice(mention.end, mention === a ? b.start : undefined));
  const replaced = (mention: M) => REPLACED_BEFORE.test(before(mention)) || REPLACED_AFTER.test(after(mention));
  const wanted = (mention: M) => WANTED_BEFORE.test(before(mention));
  if (replaced(a) !== replaced(b)) return replaced(a) ? { replaced: a, wanted: b } : { replaced: b, wanted: a };
  if (wanted(a) !== wanted(b)) return wanted(a) ? { replaced: b, wanted: a } : { replaced: a, wanted: b };
  return undefined;
}

// ---------------------------------------------------------------- intents

const cue = (sentence: Sentence, pattern: RegExp) => pattern.test(sentence.cues);
const distinct = <T>(values: readonly T[]) => [...new Set(values)];

/** The one tool a single-tool directive is about (a named one, or "*"). */
function onlyTool(sentence: Sentence): string | undefined {
  const tools = distinct(sentence.tools.map((mention) => mention.tool));
  return tools.length === 1 ? tools[0] : undefined;
}

function onlyFormat(sentence: Sentence): DateFormat | undefined {
  const formats = distinct(sentence.dates.map((date) => date.format));
  return formats.length === 1 ? formats[0] : undefined;
}

function onlyNumber(sentence: Sentence): number | undefined {
  const numbers = distinct(sentence.numbers.map((mention) => mention.value));
  return numbers.length === 1 ? numbers[0] : undefined;
}

/** The first value written after `from`: a JSON string, a number or true/false. */
function valueAfter(text: string, from: number): unknown {
  const match = /"(?:[^"\\\n]|\\.)*"|\b(?:true|false)\b|(?<![\w.])-?\d+(?:\.\d+)?(?![\w/])/.exec(text.slice(from));
  if (match === null) return undefined;
  try {
    return JSON.parse(match[0]) as unknown;
  } catch {
    return undefined;
  }
}

function readRoute(sentence: Sentence): unknown {
  const above = onlyNumber(sentence);
  const days = cue(sentence, /\bdays?\b/) && cue(sentence, /\bdeliver/);
  const [first, second, ...more] = sentence.tools;
  if (first === undefined || second === undefined || more.length > 0 || above === undefined) return undefined;
  // Only the guarded tool can be "any tool"; the one to call instead is always named.
  const roles =
    first.tool === "*" ? { replaced: first, wanted: second } : second.tool === "*" ? { replaced: second, wanted: first } : replacedAndWanted(sentence, first, second);
  if (roles === undefined) return undefined;
  return { kind: "route_above", tool: roles.replaced.tool, quantity: days ? "days_since_delivery" : "amount", above, instead: roles.wanted.tool };
}

function readBatch(sentence: Sentence): unknown {
  const [first, second] = sentence.tools;
  const [param, ...otherNames] = sentence.quoted;
  if (first === undefined || second === undefined || param === undefined || otherNames.length > 0) return undefined;
  const roles = replacedAndWanted(sentence, first, second);
  return roles === undefined ? undefined : { kind: "batch_calls", tool: roles.replaced.tool, batchTool: roles.wanted.tool, param: param.name };
}

function readReplace(sentence: Sentence): unknown {
  const [first, second] = sentence.tools;
  if (first === undefined || second === undefined) return undefined;
  const roles = replacedAndWanted(sentence, first, second);
  return roles === undefined ? undefined : { kind: "replace_tool", from: roles.replaced.tool, to: roles.wanted.tool };
}

function readRename(sentence: Sentence): unknown {
  const [first, second, ...more] = sentence.quoted;
  if (first === undefined || second === undefined || more.length > 0) return undefined;
  const roles = replacedAndWanted(sentence, first, second);
  return roles === undefined ? undefined : { kind: "rename_field", tool: onlyTool(sentence), from: roles.replaced.name, to: roles.wanted.name };
}

function readInclude(sentence: Sentence): unknown {
  const param = sentence.quoted[0];
  if (param === undefined) return undefined;
  return { kind: "include_param", tool: onlyTool(sentence), param: param.name, value: valueAfter(sentence.text, param.end) };
}

/** A directive about tools: the intent by its cues, first match decides. */
function readToolSentence(sentence: Sentence): unknown {
  const namedTools = distinct(sentence.tools.filter((mention) => mention.tool !== "*").map((mention) => mention.tool));
  const compares = cue(sentence, /\b(?:above|over|more than|exceeds?|greater than|higher than|beyond|up to|within|older than)\b/);
  const quantity = cue(sentence, /€|\beur\b|\beuros?\b|\bamounts?\b/) || (cue(sentence, /\bdays?\b/) && cue(sentence, /\bdeliver/));
  if (compares && quantity && sentence.numbers.length > 0 && sentence.tools.length >= 2) return readRoute(sentence);
  if (namedTools.length === 2 && sentence.quoted.length > 0 && cue(sentence, /\bids?\b/)) return readBatch(sentence);
  if (namedTools.length === 2 && sentence.quoted.length === 0 && sentence.numbers.length === 0) {
    return cue(sentence, /\b(?:instead|rather than|in place of|retired|replace\w*|route|switch\w*|migrate)\b/) ? readReplace(sentence) : undefined;
  }
  if (cue(sentence, /\b(?:multipl\w*|scal\w*|times|factor)\b/) && sentence.numbers.length > 0) {
    const [field, ...more] = sentence.quoted;
    return field === undefined || more.length > 0 ? undefined : { kind: "scale_value", tool: onlyTool(sentence), field: field.name, factor: onlyNumber(sentence) };
  }
  if (sentence.dates.length > 0) {
    const [field, ...more] = sentence.quoted;
    return field === undefined || more.length > 0 ? undefined : { kind: "format_field", tool: onlyTool(sentence), field: field.name, format: onlyFormat(sentence) };
  }
  if (cue(sentence, /\b(?:instead of|rather than|in place of|renamed?|now called|now named|new name)\b/)) return readRename(sentence);
  if (cue(sentence, /\b(?:include\w*|parameter|pass|add|requires?|required|without)\b/)) return readInclude(sentence);
  return undefined;
}

const UNIT_WORDS = /\b(?:miles?|mi|kilometres?|kilometers?|km)\b/g;
const REJECTED_UNIT = /\b(?:not|rather than|instead of|never)\s*$/;

/** A preference of "this user": greeting, distance unit, ask-first limit or date format. */
function readPreference(sentence: Sentence): unknown {
  const greetings = distinct(
    [...sentence.text.matchAll(/(["`])([A-Z][a-z]+)\1/g)].map((match) => match[2]).filter((word) => GreetingSchema.options.some((greeting) => greeting === word)),
  );
  if (greetings.length > 0 && cue(sentence, /\b(?:greet\w*|start\w*|begin\w*|open\w*|first word|salutation|repl(?:y|ies|ying))\b/)) {
    return greetings.length === 1 ? { kind: "preference", aspect: "greeting", value: greetings[0] } : undefined;
  }
  const units = [...sentence.cues.matchAll(UNIT_WORDS)]
    .filter((match) => !REJECTED_UNIT.test(lastWords(sentence.cues.slice(0, match.index), 3)))
    .map((match) => (match[0].startsWith("mi") ? "miles" : "km"));
  if (units.length > 0 && cue(sentence, /\b(?:distances?|far)\b/)) {
    const wanted = distinct(units);
    return wanted.length === 1 ? { kind: "preference", aspect: "units", value: wanted[0] } : undefined;
  }
  if (cue(sentence, /\b(?:confirm\w*|approv\w*|ask|check with)\b/) && cue(sentence, /€|\beur\b|\beuros?\b/)) {
    return { kind: "preference", aspect: "confirm_above", value: onlyNumber(sentence) };
  }
  if (cue(sentence, /\bdates?\b/) && sentence.dates.length > 0) return { kind: "preference", aspect: "date_format", value: onlyFormat(sentence) };
  return undefined;
}

/** A name given to a value ("`audit_desk` means "…""): one quoted name, then the value. */
function readDefinition(sentence: Sentence): unknown {
  const [term, ...more] = sentence.quoted;
  if (term === undefined || more.length > 0) return undefined;
  return { kind: "define_term", term: term.name, value: valueAfter(sentence.text, term.end) };
}

/**
 * The directive one sentence states, or `undefined` when it states none the
 * reader can make out (prose, a situation, a value that does not validate).
 */
export function understandSentence(text: string): Directive | undefined {
  const sentence = analyse(text);
  let read: unknown;
  if (sentence.tools.length > 0) read = readToolSentence(sentence);
  else if (cue(sentence, /\buser(?:'s)?\b/)) read = readPreference(sentence);
  else if (cue(sentence, /\b(?:means|stands for|refers to|the name for|read\b.*\bas)\b/)) read = readDefinition(sentence);
  const parsed = DirectiveSchema.safeParse(read);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The sentences of a context, in order. A lesson's "When:" line is its
 * situation, not something to do, and is left out; list numbers and a "Do:"
 * label are dropped. A full stop ends a sentence when a space or the line's
 * end follows it (a date's or a number's dots do not).
 */
export function lessonSentences(context: string): string[] {
  const sentences: string[] = [];
  for (const rawLine of context.split("\n")) {
    const line = rawLine.replace(/^\s*\d+[.)]\s+/, "").trim();
    if (/^when\s*:/i.test(line)) continue;
    let current = "";
    for (const piece of line.replace(/^do\s*:\s*/i, "").split(/(?<=[.!?])\s+/)) {
      current = current === "" ? piece : `${current} ${piece}`;
      if (!ABBREVIATION.test(current)) {
        if (current.trim() !== "") sentences.push(current.trim());
        current = "";
      }
    }
    if (current.trim() !== "") sentences.push(current.trim());
  }
  return sentences;
}

/** Parameters of {@link readLessons}. */
export interface ReadLessonsOptions {
  /** Whether the reader understands this sentence this time (the agent's comprehension failures). Default: always. */
  understands?: (sentence: string) => boolean;
}

/** The sentences of a context that state a directive, with it. */
type Reading = readonly { sentence: string; directive: Directive }[];

// An agent sees the same lessons on many tasks: what a context states is worked out once (bounded, pure).
const READINGS = new Map<string, Reading>();
const MAX_READINGS = 5_000;

function readingOf(context: string): Reading {
  const known = READINGS.get(context);
  if (known !== undefined) return known;
  const reading = lessonSentences(context).flatMap((sentence) => {
    const directive = understandSentence(sentence);
    return directive === undefined ? [] : [{ sentence, directive }];
  });
  if (READINGS.size >= MAX_READINGS) READINGS.clear();
  READINGS.set(context, reading);
  return reading;
}

/** Every directive the context states that the reader understands, in the order it reads them. */
export function readLessons(context: string, { understands = () => true }: ReadLessonsOptions = {}): Directive[] {
  return readingOf(context)
    .filter(({ sentence }) => understands(sentence))
    .map(({ directive }) => ({ ...directive }));
}
