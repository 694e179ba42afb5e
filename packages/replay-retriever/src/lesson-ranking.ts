import type { LessonUtility, ScoredLesson } from "@lessonloop/core/internal";
import { FeatureCache, featureSimilarity, lessonAnchoredTo, type TextFeatures } from "@lessonloop/core/internal";

/** How much each signal counts in a lesson's score. All are 0 or more. */
export interface RankingWeights {
  /** Relevance: the search score (cosine similarity of input and lesson), from 0 to 1. */
  relevance: number;
  /**
   * Proven utility: how often runs served the lesson succeeded, as the mean of a
   * Beta(1, 1) posterior, centred so an unproven lesson adds 0 (from -0.5 to +0.5).
   */
  utility: number;
  /** Recency: 1 for a lesson created now, halving every `recencyHalfLifeMs`. */
  recency: number;
  /**
   * Diversity (MMR): subtracted once per candidate, times its highest lexical
   * similarity (0 to 1) to a lesson already chosen.
   */
  diversity: number;
}

/** The defaults: relevance leads, utility and recency break near-ties, overlap is penalised. */
export const DEFAULT_RANKING_WEIGHTS: Readonly<RankingWeights> = Object.freeze({
  relevance: 1,
  utility: 0.4,
  recency: 0.1,
  diversity: 0.5,
});

/** A lesson chosen by ranking, with the parts of its score. */
export interface RankedLesson extends ScoredLesson {
  /** The search score, clamped to 0..1. */
  relevance: number;
  /** Smoothed success rate of runs served the lesson, 0..1; 0.5 when unproven. */
  utility: number;
  /** 0..1, halving every half-life since the lesson's `createdAt`. */
  recency: number;
  /** Highest lexical similarity to a lesson ranked before it, 0..1. */
  redundancy: number;
  /** The final score it was chosen by (after the diversity penalty). */
  rank: number;
}

export interface RankLessonsParams {
  /** Search results, any order. */
  candidates: readonly ScoredLesson[];
  /** Outcomes of runs served each lesson; missing ids count as unproven. */
  utility?: ReadonlyMap<string, LessonUtility>;
  /** The current time, in epoch milliseconds. */
  now: number;
  weights: RankingWeights;
  /** Age at which a lesson's recency is 0.5. */
  recencyHalfLifeMs: number;
  /** Candidates with a search score below this are never chosen, unless anchored to an available tool. */
  minRelevance: number;
  /**
   * The tools available to the agent: a candidate anchored to one of them (its
   * lesson's `tools`) applies whatever the task's words, so `minRelevance` does
   * not drop it; it is still ranked by the same score.
   */
  availableTools?: ReadonlySet<string>;
  /** A candidate more similar than this (lexically, 0..1) to a chosen lesson is never chosen; 1 turns it off. */
  maxSimilarity: number;
  /** At most this many lessons are returned. */
  limit: number;
  /**
   * Called with each pick in order; a pick it refuses (e.g. it does not fit the
   * token budget) is skipped and does not count against the others' diversity.
   */
  accept?: (lesson: RankedLesson) => boolean;
  /** Keeps lesson features between calls; a fresh one per call when omitted. */
  featureCache?: FeatureCache;
}

/** Beta(1, 1) posterior mean: Laplace's rule of succession. Unproven → 0.5. */
export function smoothedUtility(entry: LessonUtility | undefined): number {
  if (entry === undefined) return 0.5;
  return (entry.successes + 1) / (entry.successes + entry.failures + 2);
}

/** 1 at age 0, 0.5 at one half-life; a lesson from the future counts as new. */
export function recencyScore(createdAt: string, now: number, halfLifeMs: number): number {
  const created = Date.parse(createdAt);
  if (Number.isNaN(created)) return 0;
  const age = Math.max(0, now - created);
  return Math.pow(0.5, age / halfLifeMs);
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

/**
 * Orders candidate lessons by a weighted score of relevance, proven utility and
 * recency, choosing greedily with maximal marginal relevance: each pick is the
 * candidate whose score, minus `weights.diversity` × its similarity to the
 * closest lesson already picked, is highest. Deterministic: ties go to the
 * lower lesson id.
 */
export function rankLessons({
  candidates,
  utility,
  now,
  weights,
  recencyHalfLifeMs,
  minRelevance,
  availableTools,
  maxSimilarity,
  limit,
  accept,
  featureCache = new FeatureCache(0),
}: RankLessonsParams): RankedLesson[] {
  interface Pending {
    scored: ScoredLesson;
    relevance: number;
    utility: number;
    recency: number;
    base: number;
    features: TextFeatures | undefined;
    redundancy: number;
    /** How many of the chosen lessons `redundancy` covers. */
    compared: number;
  }
  const seen = new Set<string>();
  const pending: Pending[] = [];
  for (const scored of candidates) {
    if (seen.has(scored.lesson.id)) continue;
    if (scored.score < minRelevance && (availableTools === undefined || !lessonAnchoredTo(scored.lesson, availableTools))) continue;
    seen.add(scored.lesson.id);
    const relevance = clamp01(scored.score);
    const proven = smoothedUtility(utility?.get(scored.lesson.id));
    const recency = recencyScore(scored.lesson.createdAt, now, recencyHalfLifeMs);
    const base = weights.relevance * relevance + weights.utility * (proven - 0.5) + weights.recency * recency;
    pending.push({ scored, relevance, utility: proven, recency, base, features: undefined, redundancy: 0, compared: 0 });
  }
  // Redundancy is about what a lesson says to do: lessons for one situation share their trigger's words, not their advice.
  const featuresOf = (entry: Pending): TextFeatures =>
    (entry.features ??= featureCache.features(entry.scored.lesson.id, entry.scored.lesson.guidance));

  const chosen: RankedLesson[] = [];
  // Features of the lessons chosen so far; a candidate is compared with them only when it may be the next pick.
  const chosenFeatures: TextFeatures[] = [];
  const scoreOf = (entry: Pending) => entry.base - weights.diversity * entry.redundancy;
  while (chosen.length < limit && pending.length > 0) {
    // Redundancy only grows as lessons are chosen, so a score not yet updated is an upper bound: the best by
    // such bounds, once updated and still the best, is the best by exact scores (the pick of comparing all).
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < pending.length; i++) {
      const entry = pending[i] as Pending;
      const score = scoreOf(entry);
      const current = pending[best];
      if (score > bestScore || (score === bestScore && current !== undefined && entry.scored.lesson.id < current.scored.lesson.id)) {
        best = i;
        bestScore = score;
      }
    }
    const candidate = pending[best] as Pending;
    if (candidate.compared < chosenFeatures.length) {
      const features = featuresOf(candidate);
      for (; candidate.compared < chosenFeatures.length; candidate.compared++) {
        const similarity = featureSimilarity(features, chosenFeatures[candidate.compared] as TextFeatures);
        if (similarity > candidate.redundancy) candidate.redundancy = similarity;
      }
      // A near-duplicate of a chosen lesson is never chosen.
      if (candidate.redundancy > maxSimilarity) pending.splice(best, 1);
      continue;
    }
    pending.splice(best, 1);
    const ranked: RankedLesson = {
      ...candidate.scored,
      relevance: candidate.relevance,
      utility: candidate.utility,
      recency: candidate.recency,
      redundancy: candidate.redundancy,
      rank: bestScore,
    };
    if (accept !== undefined && !accept(ranked)) continue;
    chosen.push(ranked);
    chosenFeatures.push(featuresOf(candidate));
  }
  return chosen;
}
