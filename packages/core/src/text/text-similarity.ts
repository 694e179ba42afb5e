/**
 * The one place lessonloop turns text into words and compares texts without a
 * model: the lexical embedder, the learner's test for near-duplicate
 * candidates and the retriever's relevance ranking all read words here. They
 * differ only in what they pass: whether accents fold and which stop words.
 */

/** Words in nearly every sentence; every list below leaves them out. */
const FUNCTION_WORDS = [
  "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "from", "as", "is", "are",
  "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "then", "than", "when", "if",
  "into", "so", "do", "does", "should",
];
/** Words every instruction uses ("always … before …"); they tell lessons apart from no others. */
const INSTRUCTION_WORDS = ["before", "after", "always", "must"];
/** Pronouns, auxiliaries and fillers of requests. */
const REQUEST_WORDS = ["also", "but", "can", "did", "just", "our", "please", "their", "they", "we", "will", "you", "your"];

/**
 * Stop words by use. They differ on purpose: the embedder's list is fixed
 * because the vectors of `lexical-v1` (and every collection built with them)
 * depend on it; the lesson lists keep instruction words out, and telling two
 * lessons apart also ignores the words every lesson says.
 */
export const STOP_WORDS = {
  /** The lexical embedder's (negations stay words: they change meaning). */
  embedding: [
    ...FUNCTION_WORDS, ...REQUEST_WORDS,
    "being", "i", "he", "she", "me", "my", "his", "her", "them", "us", "there", "here", "about", "over", "up", "out",
    "would", "could", "shall", "may", "might", "has", "have", "had", "what", "which", "who", "whom", "where", "how",
  ],
  /** Relevance of a lesson to a text (the retriever). */
  relevance: [...FUNCTION_WORDS, ...INSTRUCTION_WORDS, ...REQUEST_WORDS],
  /** Whether two lessons say the same (the learner): the words of every lesson count for nothing. */
  lessons: [...FUNCTION_WORDS, ...INSTRUCTION_WORDS, "use", "user", "agent"],
} as const satisfies Record<string, readonly string[]>;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;
const NON_ASCII = /[^\u0000-\u007f]/;
const ASCII_WORD = /[a-z0-9]+/g;

export interface TokenizeOptions {
  /** Fold accents ("Café" and "cafe" are one word). Default true; the retriever's features keep them. */
  foldAccents?: boolean;
}

/** A text's words, lower-cased, in order: runs of letters and digits. */
export function tokenize(text: string, { foldAccents = true }: TokenizeOptions = {}): string[] {
  const lower = text.toLowerCase();
  if (!foldAccents) return lower.match(WORD) ?? [];
  // ASCII needs no folding, and the plain pattern is faster on the embedder's hot path.
  if (!NON_ASCII.test(lower)) return lower.match(ASCII_WORD) ?? [];
  return lower.normalize("NFKD").replace(MARKS, "").match(WORD) ?? [];
}

/** FNV-1a over `text[start, end)`, continuing from `hash`. */
export function fnv1a(text: string, start: number, end: number, hash: number): number {
  let h = hash;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

const LESSON_STOP_WORDS: ReadonlySet<string> = new Set(STOP_WORDS.lessons);

/** The content words of a text: lower-cased, accents folded, the lesson stop words and one-letter words left out. */
export function contentWords(text: string): Set<string> {
  return new Set(tokenize(text).filter((word) => word.length > 1 && !LESSON_STOP_WORDS.has(word)));
}

/**
 * How much two texts share their content words, 0..1 (Dice's coefficient).
 * Used to tell two candidates of one answer apart; it knows no synonyms.
 */
export function wordOverlap(a: string, b: string): number {
  const left = contentWords(a);
  const right = contentWords(b);
  if (left.size === 0 && right.size === 0) return a.trim().toLowerCase() === b.trim().toLowerCase() ? 1 : 0;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared += 1;
  return (2 * shared) / (left.size + right.size);
}

const RELEVANCE_STOP_WORDS: ReadonlySet<string> = new Set(STOP_WORDS.relevance);
const SEED_WORD = 0x811c9dc5;
const SEED_GRAM = 0x9e3779b9;

/** A text's lexical features as a unit vector over hashed features, sorted by key for a merge join. */
export interface TextFeatures {
  readonly keys: Int32Array;
  readonly values: Float64Array;
}

/**
 * Words (weight 1) and the character trigrams of each word (weight spread over
 * the word), so "payments" and "payment" or "calling" and "call" still overlap.
 * Used to keep near-duplicate lessons (three paraphrases of one) from all
 * reaching the agent.
 */
export function textFeatures(text: string): TextFeatures {
  const counts = new Map<number, number>();
  const add = (key: number, weight: number): void => {
    counts.set(key, (counts.get(key) ?? 0) + weight);
  };
  for (const word of tokenize(text, { foldAccents: false })) {
    if (RELEVANCE_STOP_WORDS.has(word)) continue;
    add(fnv1a(word, 0, word.length, SEED_WORD) | 0, 1);
    const marked = `^${word}$`;
    const weight = 1 / Math.sqrt(marked.length - 2);
    for (let start = 0; start + 3 <= marked.length; start++) add(fnv1a(marked, start, start + 3, SEED_GRAM) | 0, weight);
  }
  const keys = Int32Array.from(counts.keys()).sort();
  const values = new Float64Array(keys.length);
  let sum = 0;
  keys.forEach((key, index) => {
    const value = counts.get(key) as number;
    values[index] = value;
    sum += value * value;
  });
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / norm;
  return { keys, values };
}

/** Cosine similarity of two feature sets; 0 when either text has no words. */
export function featureSimilarity(a: TextFeatures, b: TextFeatures): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  const aKeys = a.keys;
  const bKeys = b.keys;
  while (i < aKeys.length && j < bKeys.length) {
    const x = aKeys[i] as number;
    const y = bKeys[j] as number;
    if (x === y) {
      dot += (a.values[i] as number) * (b.values[j] as number);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return Math.min(1, dot);
}

/** Lexical similarity of two texts, from 0 (nothing shared) to 1 (same words). */
export function textSimilarity(a: string, b: string): number {
  return featureSimilarity(textFeatures(a), textFeatures(b));
}

/**
 * Features of recently seen texts, by a key (a lesson id) and checked against
 * the text, so a retriever does not recompute them for the same lessons on
 * every step. Least recently used entries are dropped past `capacity`.
 */
export class FeatureCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, { text: string; features: TextFeatures }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  features(key: string, text: string): TextFeatures {
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.text === text) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.features;
    }
    const features = textFeatures(text);
    if (this.#capacity <= 0) return features;
    this.#entries.delete(key);
    this.#entries.set(key, { text, features });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return features;
  }
}
