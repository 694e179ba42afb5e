/**
 * Characters that render as nothing, or change how their neighbours render,
 * yet a model reads them: control characters (tab and line breaks excepted),
 * format characters (category Cf: zero-width and joiner characters, bidi
 * controls, U+00AD, U+2060, U+180E, Unicode tag characters U+E0000–U+E007F,
 * which spell a whole hidden sentence), lone surrogates, variation selectors,
 * the combining grapheme joiner and the Hangul fillers.
 */
const INVISIBLE_CLASS =
  "(?:(?![\\t\\n\\r])\\p{Cc}|\\p{Cf}|\\p{Cs}|[\\u{E0000}-\\u{E007F}\\u{FE00}-\\u{FE0F}\\u{E0100}-\\u{E01EF}\\u034F\\u115F\\u1160\\u3164\\uFFA0])";
const INVISIBLE = new RegExp(INVISIBLE_CLASS, "gu");
const HAS_INVISIBLE = new RegExp(INVISIBLE_CLASS, "u");

/** Whether `text` holds a character {@link stripInvisible} removes. */
export function hasInvisible(text: string): boolean {
  return HAS_INVISIBLE.test(text);
}

/**
 * `text` without invisible characters. Applied wherever text reaches a model —
 * lessons, edge cases, task inputs and trajectories — so what a prompt carries
 * is what a person reading it sees: a lesson cannot hide "SYSTEM: …" in tag
 * characters behind harmless guidance. Tab and line breaks stay (callers that
 * need one line handle them).
 */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, "");
}

/** The invisible characters of `text` as `U+XXXX` code points, each once, in order of appearance. */
export function invisibleCodePoints(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(INVISIBLE)) seen.add(codePointName(match[0]));
  return [...seen];
}

function codePointName(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * `text` with every invisible character, tab and carriage return (which can
 * hide what came before it on a terminal line) shown as a visible escape (`\u{E0041}`): for a person reviewing
 * stored text (the CLI), who must see what a model would have been handed.
 * A backslash before `u{` is escaped too, so an escape cannot be faked.
 */
export function escapeInvisible(text: string): string {
  return text.replace(new RegExp(`\\\\(?=u\\{)|[\\t\\r]|${INVISIBLE_CLASS}`, "gu"), (character) =>
    character === "\\" ? "\\\\" : `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`,
  );
}
