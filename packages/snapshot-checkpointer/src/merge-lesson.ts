import { LessonloopError, type EdgeCaseInput, type EdgeCaseStore, type Lesson, type LessonMemory, type Snapshot, type Verdict } from "@lessonloop/core";

/** What {@link mergeLesson} commits, and with what. */
export interface MergeLessonRequest {
  /** The lesson to make live; it is committed with status `approved`. */
  lesson: Lesson;
  /** The snapshot's reason. */
  reason: string;
  /** The snapshot's author. */
  author: string;
  /** The verdict that approved the lesson; its policy, tally and votes go into `provenance.merge`. Default none. */
  verdict?: Verdict;
  /** The human who approved the lesson after the validators; recorded with the verdict (ignored without one). */
  approvedBy?: string;
  /** The lesson's edge cases, stored before the commit. Default none. */
  edgeCases?: readonly EdgeCaseInput[];
  /** Where `edgeCases` go; required when there are any. */
  edgeCaseStore?: EdgeCaseStore;
}

export interface MergeLessonResult {
  snapshot: Snapshot;
  /** True when an identical copy of the lesson had already been merged (a retry): no new snapshot. */
  alreadyMerged: boolean;
}

/**
 * The one merge path, used by the merge node and by `lessonloop approve`:
 *
 * 1. the lesson is marked `approved` and, given a verdict, its provenance
 *    records the votes that merged it (and who approved it, if a human did);
 * 2. its edge cases are stored, so a live lesson always has its regression
 *    data. If the commit then fails they stay: they are true records of past
 *    runs, and a retry rewrites them unchanged (the store upserts by id);
 * 3. the lesson is committed as one new snapshot.
 *
 * Safe to retry: if the same lesson id was already merged with the same
 * content (a retry after a crash, a replayed step), it answers with that
 * earlier snapshot instead of failing. The same id with different content
 * stays the memory's `conflict` error.
 */
export async function mergeLesson(
  memory: LessonMemory,
  { lesson, reason, author, verdict, approvedBy, edgeCases = [], edgeCaseStore }: MergeLessonRequest,
): Promise<MergeLessonResult> {
  const approved: Lesson = { ...lesson, status: "approved" };
  const merged = verdict === undefined ? approved : withMergeDecision(approved, verdict, approvedBy);
  if (edgeCases.length > 0) {
    if (edgeCaseStore === undefined) {
      throw new LessonloopError("invalid_input", `Lesson "${lesson.id}" comes with ${edgeCases.length} edge case(s) but no edgeCaseStore was given; pass the store its cases go to.`, {
        details: { lessonId: lesson.id },
      });
    }
    await edgeCaseStore.add(edgeCases);
  }
  return commitOnce(memory, { lesson: merged, reason, author });
}

async function commitOnce(memory: LessonMemory, { lesson, reason, author }: { lesson: Lesson; reason: string; author: string }): Promise<MergeLessonResult> {
  try {
    return { snapshot: await memory.commit({ add: [lesson], reason, author }), alreadyMerged: false };
  } catch (error) {
    const mergedAt = LessonloopError.isInstance(error, "conflict") && error.details["lessonId"] === lesson.id ? error.details["mergedAt"] : undefined;
    if (typeof mergedAt !== "number" || canonical(await memory.get(lesson.id, { version: mergedAt })) !== canonical(lesson)) throw error;
    return { snapshot: await memory.snapshot(mergedAt), alreadyMerged: true };
  }
}

/** JSON with object keys sorted, so two equal values always render the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

/**
 * The lesson as it is merged: its provenance completed with the verdict that
 * merged it (policy, tally, each validator's vote and model) and, when a human
 * approved it, who. The proposer, model and evidence episodes are already there.
 *
 * @param approvedBy The human who approved it after the ensemble, if any.
 */
export function withMergeDecision(lesson: Lesson, verdict: Verdict, approvedBy?: string): Lesson {
  const votes = verdict.votes.slice(0, 100).map(({ validator, decision, model }) => ({ validator, decision, ...(model === undefined ? {} : { model }) }));
  return {
    ...lesson,
    provenance: {
      ...lesson.provenance,
      merge: {
        policy: verdict.policy.name,
        tally: { ...verdict.tally },
        votes,
        decidedAt: verdict.decidedAt,
        ...(approvedBy === undefined ? {} : { approvedBy }),
      },
    },
  };
}
