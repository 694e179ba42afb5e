import { LessonSchema, type LessonInput } from "@lessonloop/core";
import { textSimilarity, type LessonUtility, type ScoredLesson } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, it } from "vitest";
import { DEFAULT_RANKING_WEIGHTS, rankLessons, recencyScore, smoothedUtility, type RankLessonsParams } from "./lesson-ranking.js";

const NOW = Date.parse("2026-06-01T00:00:00.000Z");
const DAY = 24 * 60 * 60 * 1_000;

function scored(id: string, score: number, overrides: Partial<LessonInput> = {}): ScoredLesson {
  return { lesson: LessonSchema.parse(lessonFixture(id, overrides)), score };
}

function rank(candidates: ScoredLesson[], params: Partial<RankLessonsParams> = {}): string[] {
  return rankLessons({
    candidates,
    now: NOW,
    weights: DEFAULT_RANKING_WEIGHTS,
    recencyHalfLifeMs: 30 * DAY,
    minRelevance: 0.1,
    maxSimilarity: 0.8,
    limit: 5,
    ...params,
  }).map((ranked) => ranked.lesson.id);
}

const utility = (lessonId: string, successes: number, failures: number): [string, LessonUtility] => [
  lessonId,
  { lessonId, served: successes + failures, successes, failures },
];

// Three wordings of one lesson, and two other lessons about the same task.
const paraphrases = [
  scored("cents-1", 0.62, { trigger: "when calling the payments API with an amount", guidance: "convert the amount to integer cents before calling the payments API" }),
  scored("cents-2", 0.61, { trigger: "when a payment amount is sent to the payment API", guidance: "always send amounts in cents (integers), never as decimal euros" }),
  scored("cents-3", 0.6, { trigger: "before posting an amount to the payments endpoint", guidance: "turn the amount into whole cents first; the payments API rejects decimals" }),
];
const others = [
  scored("idempotency", 0.45, { trigger: "when retrying a request that creates a charge", guidance: "reuse the idempotency key of the first attempt" }),
  scored("currency", 0.4, { trigger: "when the invoice currency differs from the card's", guidance: "quote the exchange rate and its date to the customer" }),
];

describe("rankLessons", () => {
  it("puts the lesson with proven utility first, and treats unproven lessons as neutral", () => {
    const a = scored("a", 0.5, { guidance: "ask for the order number first" });
    const b = scored("b", 0.5, { guidance: "quote the delivery date to the customer" });
    expect(rank([a, b])).toEqual(["a", "b"]);
    expect(rank([a, b], { utility: new Map([utility("a", 0, 6), utility("b", 8, 0)]) })).toEqual(["b", "a"]);
    // Served but with unknown outcomes, or never served: the same neutral 0.5.
    expect(smoothedUtility({ lessonId: "x", served: 4, successes: 0, failures: 0 })).toBe(0.5);
    expect(smoothedUtility(undefined)).toBe(0.5);
    // A proven lesson beats an unproven one that is slightly more relevant; a failing one loses to it.
    const c = scored("c", 0.55, { guidance: "confirm the shipping address before booking" });
    expect(rank([a, c], { utility: new Map([utility("a", 10, 0)]) })).toEqual(["a", "c"]);
    expect(rank([a, c], { utility: new Map([utility("c", 0, 10)]) })).toEqual(["a", "c"]);
    expect(rank([a, c])).toEqual(["c", "a"]);
  });

  it("prefers the newer of two equally relevant lessons, by the half-life", () => {
    const old = scored("a-old", 0.5, { createdAt: new Date(NOW - 365 * DAY).toISOString() });
    const recent = scored("b-new", 0.5, { createdAt: new Date(NOW - DAY).toISOString() });
    expect(rank([old, recent])).toEqual(["b-new", "a-old"]);
    expect(rank([old, recent], { weights: { ...DEFAULT_RANKING_WEIGHTS, recency: 0 } })).toEqual(["a-old", "b-new"]);
    expect(recencyScore(new Date(NOW - 30 * DAY).toISOString(), NOW, 30 * DAY)).toBeCloseTo(0.5, 10);
    expect(recencyScore(new Date(NOW + DAY).toISOString(), NOW, 30 * DAY)).toBe(1);
  });

  it("does not serve every paraphrase of one lesson: diversity lets other lessons in", () => {
    expect(textSimilarity("amount in cents for the payments API", "payments API amounts as cents")).toBeGreaterThan(0.4);
    const candidates = [...paraphrases, ...others];
    expect(rank(candidates, { limit: 3, weights: { ...DEFAULT_RANKING_WEIGHTS, diversity: 0 } })).toEqual(["cents-1", "cents-2", "cents-3"]);
    const diverse = rank(candidates, { limit: 3 });
    expect(diverse[0]).toBe("cents-1");
    expect(diverse).toContain("idempotency");
    expect(diverse.filter((id) => id.startsWith("cents-"))).not.toHaveLength(3);
  });

  it("serves two lessons of one situation that say different things", () => {
    // Lessons learned from tasks alike share a long trigger; their advice differs.
    const trigger = 'When a customer asks for a refund of an order (issue_refund), as in tasks like "Refund order of EUR for the customer, delivered days ago."';
    const threshold = scored("threshold", 0.5, { trigger, guidance: "Before calling issue_refund: when the amount is above 100 EUR, call request_manager_approval instead." });
    const window = scored("window", 0.5, { trigger, guidance: "Before calling issue_refund: when the order was delivered more than 14 days ago, call deny_refund instead." });
    expect(rank([threshold, window])).toEqual(["threshold", "window"]);
  });

  it("never serves a near-verbatim duplicate", () => {
    const copy = scored("copy", 0.61, { trigger: paraphrases[0]?.lesson.trigger, guidance: `${paraphrases[0]?.lesson.guidance}.` });
    expect(rank([paraphrases[0] as ScoredLesson, copy, ...others], { weights: { ...DEFAULT_RANKING_WEIGHTS, diversity: 0 } })).toEqual([
      "cents-1",
      "idempotency",
      "currency",
    ]);
  });

  it("drops lessons below the minimum relevance and stops at the limit", () => {
    expect(rank([scored("a", 0.05), scored("b", 0.3), scored("c", 0.2)], { limit: 1 })).toEqual(["b"]);
    expect(rank([scored("a", 0.05)])).toEqual([]);
  });

  it("skips a pick that `accept` refuses without letting it penalise the others", () => {
    const accepted = rankLessons({
      candidates: [...paraphrases, ...others],
      now: NOW,
      weights: DEFAULT_RANKING_WEIGHTS,
      recencyHalfLifeMs: 30 * DAY,
      minRelevance: 0.1,
      maxSimilarity: 0.8,
      limit: 2,
      accept: (lesson) => lesson.lesson.id !== "cents-1",
    });
    // With cents-1 refused, cents-2 comes first and is not penalised for resembling it.
    expect(accepted[0]).toMatchObject({ lesson: { id: "cents-2" }, redundancy: 0 });
    expect(accepted.map((ranked) => ranked.lesson.id)).not.toContain("cents-1");
  });

  it("reports the parts of each score", () => {
    const [first] = rankLessons({
      candidates: [scored("a", 0.7, { createdAt: new Date(NOW).toISOString() })],
      utility: new Map([utility("a", 3, 1)]),
      now: NOW,
      weights: DEFAULT_RANKING_WEIGHTS,
      recencyHalfLifeMs: 30 * DAY,
      minRelevance: 0,
      maxSimilarity: 1,
      limit: 1,
    });
    expect(first).toMatchObject({ relevance: 0.7, utility: 4 / 6, recency: 1, redundancy: 0 });
    expect(first?.rank).toBeCloseTo(0.7 + 0.4 * (4 / 6 - 0.5) + 0.1, 10);
  });
});
