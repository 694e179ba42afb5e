import type { Embedder } from "../embedder.js";
import { LessonloopError } from "../errors.js";
import { STOP_WORDS, fnv1a, tokenize } from "./text-similarity.js";

export interface LexicalEmbedderParams {
  /** Length of the vectors. Default 1024: with fewer buckets, signed-hash collisions swamp short queries. */
  dimensions?: number;
  /** Character n-gram sizes taken from each word with boundary markers (`^word$`). Default `[3, 4]`. */
  charNgramSizes?: readonly number[];
  /** Weight of whole-word features. Default 1. */
  wordWeight?: number;
  /** Weight of adjacent-word-pair features. Default 0.7; 0 turns bigrams off. */
  bigramWeight?: number;
  /** Weight of character n-gram features (spread over all n-grams of a word). Default 0.6; 0 turns them off. */
  charWeight?: number;
  /**
   * Words that carry little meaning; they count only inside word pairs. Default: a
   * short English list (negations are kept as words, they change meaning).
   */
  stopWords?: Iterable<string>;
}

/** A deterministic offline embedder; `embedSync` is there for hot loops and benchmarks. */
export interface LexicalEmbedder extends Embedder {
  embedSync(text: string): number[];
}

const DEFAULT_STOP_WORDS = STOP_WORDS.embedding;

// Feature families hash with different seeds so "ab" the word and "ab" the n-gram differ.
const SEED_WORD = 0x811c9dc5;
const SEED_BIGRAM = 0x01000193 ^ 0x9e3779b9;
const SEED_CHAR = 0x85ebca6b;
const SEED_FALLBACK = 0xc2b2ae35;

/** murmur3's finaliser: spreads FNV's bits so index and sign are independent. */
function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // Kept as a signed 32-bit integer: V8 handles those without boxing.
  return h;
}

function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

/** Counts features by 32-bit hash: how often each occurred and the sum of their weights. */
class FeatureTable {
  readonly capacity: number;
  size = 0;
  private readonly keys: Int32Array;
  private readonly stamps: Uint32Array;
  private readonly counts: Uint32Array;
  private readonly weights: Float64Array;
  private readonly used: Uint32Array;
  private generation = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.keys = new Int32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.weights = new Float64Array(capacity);
    this.used = new Uint32Array(capacity);
  }

  reset(): void {
    this.size = 0;
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  add(key: number, weight: number): void {
    const mask = this.capacity - 1;
    let slot = key & mask;
    while (this.stamps[slot] === this.generation) {
      if (this.keys[slot] === key) {
        this.counts[slot] = (this.counts[slot] as number) + 1;
        this.weights[slot] = (this.weights[slot] as number) + weight;
        return;
      }
      slot = (slot + 1) & mask;
    }
    this.stamps[slot] = this.generation;
    this.keys[slot] = key;
    this.counts[slot] = 1;
    this.weights[slot] = weight;
    this.used[this.size++] = slot;
  }

  /**
   * Adds every feature into `vector`: bucket `key mod length` (top bit cleared), sign from
   * the top bit, value mean weight × (1 + ln tf) — sublinear term frequency.
   */
  accumulate(vector: Float64Array): void {
    const dimensions = vector.length;
    for (let i = 0; i < this.size; i++) {
      const slot = this.used[i] as number;
      const key = this.keys[slot] as number;
      const count = this.counts[slot] as number;
      const weight = this.weights[slot] as number;
      const value = count === 1 ? weight : (weight / count) * (1 + Math.log(count));
      const index = (key & 0x7fffffff) % dimensions;
      vector[index] = (vector[index] as number) + (key < 0 ? -value : value);
    }
  }
}

function checkNumber(value: number, field: string, { integer, min, max }: { integer: boolean; min: number; max: number }): void {
  const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? "a whole number" : "a number";
    throw new LessonloopError("invalid_input", `Invalid lexical embedder ${field}: ${String(value)} — must be ${kind} from ${min} to ${max}.`, {
      details: { issues: [{ path: field, message: `must be ${kind} from ${min} to ${max}` }] },
    });
  }
}

/**
 * A deterministic embedder that needs no model weights: lower-cased words, adjacent
 * word pairs and character n-grams of each word are feature-hashed (signed, 32-bit
 * FNV-1a + murmur finaliser) into `dimensions` buckets with sublinear term
 * frequency (1 + ln tf), then L2-normalised. Texts that share words or word pieces
 * get close vectors; it knows no synonyms.
 */
export function createLexicalEmbedder({
  dimensions = 1024,
  charNgramSizes = [3, 4],
  wordWeight = 1,
  bigramWeight = 0.7,
  charWeight = 0.6,
  stopWords = DEFAULT_STOP_WORDS,
}: LexicalEmbedderParams = {}): LexicalEmbedder {
  checkNumber(dimensions, "dimensions", { integer: true, min: 8, max: 65_536 });
  for (const size of charNgramSizes) checkNumber(size, "charNgramSizes", { integer: true, min: 1, max: 16 });
  checkNumber(wordWeight, "wordWeight", { integer: false, min: 0, max: 100 });
  checkNumber(bigramWeight, "bigramWeight", { integer: false, min: 0, max: 100 });
  checkNumber(charWeight, "charWeight", { integer: false, min: 0, max: 100 });

  const sizes = [...new Set(charNgramSizes)].sort((a, b) => a - b);
  const stop = new Set([...stopWords].map((word) => word.toLowerCase()));
  const isDefault =
    sizes.join(",") === "3,4" && wordWeight === 1 && bigramWeight === 0.7 && charWeight === 0.6 && stopWords === DEFAULT_STOP_WORDS;
  // The name identifies the embedding space, so it carries every non-default setting.
  const stopList = [...stop].sort().join(" ");
  const stopTag = stopWords === DEFAULT_STOP_WORDS ? "" : `-s${(fmix32(fnv1a(stopList, 0, stopList.length, SEED_FALLBACK)) >>> 0).toString(16)}`;
  const configTag = `c${sizes.join(".")}-w${wordWeight}-b${bigramWeight}-n${charWeight}${stopTag}`;
  const name = isDefault ? `lexical-v1-${dimensions}` : `lexical-v1-${dimensions}-${configTag}`;

  // One open-addressing table of features reused across texts (a generation stamp marks
  // live slots, so nothing is cleared between texts); grown for unusually long texts.
  let table = new FeatureTable(1 << 12);
  const scratch = new Float64Array(dimensions);

  function embedSync(text: string): number[] {
    const tokens = tokenize(text);
    let bound = 16;
    for (const token of tokens) bound += 2 + sizes.length * (token.length + 2);
    if (bound * 2 > table.capacity) table = new FeatureTable(nextPowerOfTwo(bound * 2));
    const features = table;
    features.reset();

    for (let t = 0; t < tokens.length; t++) {
      const word = tokens[t] as string;
      if (bigramWeight > 0 && t + 1 < tokens.length) {
        const next = tokens[t + 1] as string;
        let h = fnv1a(word, 0, word.length, SEED_BIGRAM);
        h = fnv1a(" ", 0, 1, h);
        features.add(fmix32(fnv1a(next, 0, next.length, h)), bigramWeight);
      }
      if (stop.has(word)) continue;
      if (wordWeight > 0) features.add(fmix32(fnv1a(word, 0, word.length, SEED_WORD)), wordWeight);
      if (charWeight > 0) {
        const marked = `^${word}$`;
        let grams = 0;
        for (const size of sizes) grams += Math.max(0, marked.length - size + 1);
        if (grams === 0) continue;
        // Spread the family's weight over the word's n-grams, so long words do not dominate.
        const weight = charWeight / Math.sqrt(grams);
        for (const size of sizes) {
          for (let start = 0; start + size <= marked.length; start++) {
            features.add(fmix32(fnv1a(marked, start, start + size, SEED_CHAR ^ size)), weight);
          }
        }
      }
    }
    if (features.size === 0) {
      // Nothing word-like (empty, punctuation only): hash the raw text so the vector is never all zeros.
      const raw = text.trim().toLowerCase();
      features.add(fmix32(fnv1a(raw, 0, raw.length, SEED_FALLBACK)), 1);
    }

    scratch.fill(0);
    features.accumulate(scratch);
    let norm = 0;
    for (let i = 0; i < dimensions; i++) norm += (scratch[i] as number) * (scratch[i] as number);
    const vector = new Array<number>(dimensions);
    if (norm === 0) {
      // Features cancelled out exactly; fall back to a fixed unit vector.
      vector.fill(0);
      vector[0] = 1;
      return vector;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimensions; i++) vector[i] = (scratch[i] as number) * scale;
    return vector;
  }

  return {
    name,
    dimensions,
    embedSync,
    async embedDocuments(texts: readonly string[]): Promise<number[][]> {
      return texts.map(embedSync);
    },
    async embedQuery(text: string): Promise<number[]> {
      return embedSync(text);
    },
  };
}
