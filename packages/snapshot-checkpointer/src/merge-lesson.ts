import { LessonloopError, type EdgeCaseInput, type EdgeCaseStore, type Lesson, type LessonMemory, type Snapshot, type Verdict } from "@lessonloop/core";
import { scopeContains } from "@lessonloop/core/internal";

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
  /**
   * Looks, just before the commit, for a live lesson at `head` (the version the
   * commit goes onto) that the lesson repeats or refines and that it was not
   * compared with when it was proposed — one another writer merged while it
   * was validated. Asked again on the new head whenever another writer commits
   * first. Default none: the lesson is committed whatever merged meanwhile.
   */
  nearDuplicateAt?: (lesson: Lesson, head: number) => Promise<NearDuplicateFound | undefined>;
}

/** A live lesson that the lesson being merged repeats (`same`) or refines, with the memory's score between them. */
export interface NearDuplicateFound {
  existing: Lesson;
  relation: "same" | "refines";
  score: number;
}

export interface MergeLessonResult {
  /** The new snapshot; the earlier one for `alreadyMerged`; the head it was checked at for `duplicateOf`. */
  snapshot: Snapshot;
  /** True when an identical copy of the lesson had already been merged (a retry): no new snapshot. */
  alreadyMerged: boolean;
  /** The live lesson it repeats, merged meanwhile by another writer: nothing was committed. */
  duplicateOf?: NearDuplicateFound;
}

/** Heads a merge re-checks before it gives up to writers that keep committing first. */
const MAX_RECHECKS = 20;

/**
 * The one merge path, used by the merge node and by `lessonloop approve`:
 *
 * 1. the lesson is marked `approved` and, given a verdict, its provenance
 *    records the votes that merged it (and who approved it, if a human did);
 * 2. its edge cases are stored, so a live lesson always has its regression
 *    data. If the commit then fails they stay: they are true records of past
 *    runs, and a retry rewrites them unchanged (the store upserts by id);
 * 3. the lesson is committed as one new snapshot — unless, given
 *    `nearDuplicateAt`, it repeats a lesson another writer merged since it was
 *    proposed: then nothing is committed and `duplicateOf` names that lesson.
 *
 * Safe to retry: if the same lesson id was already merged with the same
 * content (a retry after a crash, a replayed step), it answers with that
 * earlier snapshot instead of failing. The same id with different content
 * stays the memory's `conflict` error.
 */
export async function mergeLesson(
  memory: LessonMemory,
  { lesson, reason, author, verdict, approvedBy, edgeCases = [], edgeCaseStore, nearDuplicateAt }: MergeLessonRequest,
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
  if (nearDuplicateAt === undefined) return commitOnce(memory, { lesson: merged, reason, author });
  return commitUnlessDuplicate(memory, { lesson: merged, reason, author }, nearDuplicateAt);
}

/**
 * Checks for a near-duplicate on the head, then commits onto that very head
 * (`expectedHead`); when another writer committed first, checks again on the
 * new head. So of two writers merging the same lesson at once, whichever
 * commits second sees the first's lesson: a repeat is not committed (the
 * result names the live lesson), a refinement supersedes it when its scope
 * covers the other's, and a lesson it meant to supersede that another writer
 * retired meanwhile is left out of its `supersedes`. Any number of processes:
 * the memory decides the order.
 */
async function commitUnlessDuplicate(
  memory: LessonMemory,
  request: { lesson: Lesson; reason: string; author: string },
  nearDuplicateAt: (lesson: Lesson, head: number) => Promise<NearDuplicateFound | undefined>,
): Promise<MergeLessonResult> {
  for (let attempt = 1; ; attempt++) {
    const head = await memory.headVersion();
    const found = await nearDuplicateAt(request.lesson, head);
    if (found?.relation === "same") return { snapshot: await memory.snapshot(head), alreadyMerged: false, duplicateOf: found };
    const refining = found !== undefined && scopeContains(request.lesson.scope, found.existing.scope) ? superseding(request.lesson, found.existing) : request.lesson;
    const lesson = await withoutRetiredSupersedes(memory, refining, head);
    try {
      return await commitOnce(memory, { ...request, lesson, expectedHead: head });
    } catch (error) {
      const headMoved = LessonloopError.isInstance(error, "conflict") && error.details["expectedHead"] === head;
      if (!headMoved || attempt >= MAX_RECHECKS) throw error;
    }
  }
}

/**
 * The lesson without the `supersedes` that are no longer live at `head`:
 * another writer retired them meanwhile (two workers refining one lesson at
 * once), so there is nothing left to retire — the commit would otherwise fail.
 */
async function withoutRetiredSupersedes(memory: LessonMemory, lesson: Lesson, head: number): Promise<Lesson> {
  const live = await Promise.all(lesson.supersedes.map((id) => isLive(memory, id, head)));
  if (live.every(Boolean)) return lesson;
  // Its own earlier merge retired them (this is a retry): left as it was, for the commit to answer `alreadyMerged`.
  if (await isLive(memory, lesson.id, head)) return lesson;
  return { ...lesson, supersedes: lesson.supersedes.filter((_id, index) => live[index]) };
}

async function isLive(memory: LessonMemory, id: string, version: number): Promise<boolean> {
  try {
    await memory.get(id, { version });
    return true;
  } catch (error) {
    if (LessonloopError.isInstance(error, "not_found")) return false;
    throw error;
  }
}

/** The lesson, also retiring `existing`: what it refines. */
function superseding(lesson: Lesson, existing: Lesson): Lesson {
  return lesson.supersedes.includes(existing.id) ? lesson : { ...lesson, supersedes: [...lesson.supersedes, existing.id] };
}

async function commitOnce(
  memory: LessonMemory,
  { lesson, reason, author, expectedHead }: { lesson: Lesson; reason: string; author: string; expectedHead?: number },
): Promise<MergeLessonResult> {
  try {
    return { snapshot: await memory.commit({ add: [lesson], reason, author, ...(expectedHead === undefined ? {} : { expectedHead }) }), alreadyMerged: false };
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
