import {
  LessonSchema,
  type EdgeCaseInput,
  type EdgeCaseStore,
  type Lesson,
  type LessonInput,
  type LessonMemory,
  type Snapshot,
  type Verdict,
} from "@lessonloop/core";
import { EdgeCaseBatchSchema, VerdictSchema, VersionSchema, parseWith } from "@lessonloop/core/internal";
import { Annotation, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { mergeLesson, type NearDuplicateFound } from "./merge-lesson.js";

/** What the merge node did. */
export type MergeResult =
  | {
      /** The lesson became live in `snapshot`, with its edge cases stored. */
      status: "merged";
      lessonId: string;
      snapshot: Snapshot;
      edgeCases: number;
    }
  | {
      /**
       * An earlier attempt had merged this very lesson (same id, same content) at
       * `snapshot`; nothing new was committed. Its edge cases were written again
       * (an idempotent upsert).
       */
      status: "already_merged";
      lessonId: string;
      snapshot: Snapshot;
      edgeCases: number;
    }
  | {
      /**
       * The lesson repeats `duplicateOf`, a live lesson another writer merged
       * while this one was validated (the same lesson, learned from another
       * episode at the same time): it was not committed, and counts as a
       * reinforcement of that lesson. `snapshot` is the head it was checked at;
       * the edge cases were stored.
       */
      status: "duplicate";
      lessonId: string;
      duplicateOf: string;
      /** The memory's score between the two lessons. */
      score: number;
      snapshot: Snapshot;
      edgeCases: number;
    }
  | {
      /** The verdict rejected the lesson: nothing was written, neither lesson nor edge cases. */
      status: "rejected";
      lessonId: string;
    };

/**
 * The state keys the merge node reads and writes. Use it as (part of) a graph's
 * state, or give your own state these keys with the same types.
 */
export const MergeStateAnnotation = Annotation.Root({
  /** The validator ensemble's verdict on `lesson`. */
  verdict: Annotation<Verdict | undefined>,
  /** The candidate lesson the verdict is about. */
  lesson: Annotation<LessonInput | undefined>,
  /** The new edge cases the lesson came with (e.g. the fixed failure as a `must_pass` case). */
  edgeCases: Annotation<EdgeCaseInput[]>({ reducer: (_, next) => next, default: () => [] }),
  /** The memory version the lesson was compared with for near-duplicates when it was proposed (the learner's `comparedAt`). */
  comparedAt: Annotation<number | undefined>,
  /** Written by the merge node. */
  mergeResult: Annotation<MergeResult | undefined>,
});
export type MergeState = typeof MergeStateAnnotation.State;

export interface MergeNodeParams {
  /** The shared memory the lesson is committed to. */
  memory: LessonMemory;
  /** Where the lesson's edge cases are stored, for validating future lessons. */
  edgeCaseStore: EdgeCaseStore;
  /** Author of the merge snapshots. Default `validator-ensemble`: its consensus decided the merge. */
  author?: string;
  /**
   * The learner's near-duplicate check, asked again just before the commit
   * about the lessons that became live after `since` (the state's `comparedAt`)
   * up to `version` — e.g. a learner's `nearDuplicateSince`. Workers that
   * learn two episodes of one situation at once then merge its lesson once:
   * the later commit finds the earlier lesson and reports `duplicate` (or, for
   * a refinement, supersedes it). Default none: the lesson is committed
   * whatever merged meanwhile.
   */
  nearDuplicateSince?: (lesson: Lesson, range: { since: number; version: number }, config?: LangGraphRunnableConfig) => Promise<NearDuplicateFound | undefined>;
}

/** The state keys the merge node reads. */
export type MergeNodeInput = Pick<MergeState, "verdict" | "lesson" | "edgeCases"> & { comparedAt?: number | undefined };

/** A LangGraph node: reads `verdict`, `lesson`, `edgeCases`, `comparedAt`; writes `mergeResult`. */
export type MergeNode = (state: MergeNodeInput, config?: LangGraphRunnableConfig) => Promise<{ mergeResult: MergeResult }>;

const MergeInputSchema = z
  .object({
    verdict: VerdictSchema,
    lesson: LessonSchema,
    edgeCases: EdgeCaseBatchSchema.default([]),
    comparedAt: VersionSchema.optional(),
  })
  .superRefine(({ verdict, lesson }, context) => {
    if (verdict.lessonId !== lesson.id) {
      context.addIssue({
        code: "custom",
        path: ["verdict", "lessonId"],
        message: `is "${verdict.lessonId}" but the lesson is "${lesson.id}"; a verdict can only merge the lesson it judged`,
      });
    }
    verdict.votes.forEach((vote, index) => {
      if (vote.lessonId !== lesson.id) {
        context.addIssue({
          code: "custom",
          path: ["verdict", "votes", index, "lessonId"],
          message: `is "${vote.lessonId}" but the lesson is "${lesson.id}"`,
        });
      }
    });
  });

const MAX_REASON = 4_000;

function mergeReason(verdict: Verdict, lesson: Lesson, edgeCases: number): string {
  const { policy, tally } = verdict;
  const repair = lesson.provenance.repairOf === undefined ? "" : `, a repair of rejected lesson "${lesson.provenance.repairOf}",`;
  const text =
    `Merge lesson "${lesson.id}" (${lesson.kind})${repair} with ${edgeCases} edge case${edgeCases === 1 ? "" : "s"}: ` +
    `approved under ${policy.name} (quorum ${policy.quorum}, threshold ${policy.threshold}), ` +
    `${tally.approve} approve / ${tally.reject} reject / ${tally.abstain} abstain. ${verdict.reason}`.trimEnd();
  return text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`;
}

/**
 * Creates the learning graph's merge node. Given an approved verdict, the
 * candidate lesson and its edge cases in state (see `MergeStateAnnotation`),
 * it stores the edge cases and commits the lesson as one new snapshot whose
 * reason records the verdict's policy and tally; it writes `mergeResult`.
 *
 * - Inputs are parsed first; a missing or malformed verdict, lesson or edge
 *   case, or a verdict about another lesson, is an `invalid_input` error and
 *   nothing is written.
 * - A rejected verdict writes nothing and yields `status: "rejected"`.
 * - An approved one goes through `mergeLesson`, the merge path `lessonloop
 *   approve` takes too: the lesson's provenance records the votes, its edge
 *   cases are written before the commit (so a live lesson always has its
 *   regression data; if the commit then fails they stay, true records of past
 *   runs that a retry rewrites unchanged), then the lesson is committed.
 * - Retrying is safe: if the lesson id was already merged with the same
 *   content (a retry after a crash or a replayed step), the node answers
 *   `already_merged` with the earlier snapshot. The same id with different
 *   content is the memory's `conflict` error. A lesson whose merge was rolled
 *   back is not in the live lineage, so merging it again commits it again.
 * - With `nearDuplicateSince` and the state's `comparedAt`, a lesson that
 *   repeats one merged after it was proposed (by another worker, from another
 *   episode) is not committed: `status: "duplicate"` names the live lesson.
 *   The check and the commit are on one head (`expectedHead`): a commit that
 *   loses the head to another writer checks again on the new one.
 */
export function createMergeNode({ memory, edgeCaseStore, author = "validator-ensemble", nearDuplicateSince }: MergeNodeParams): MergeNode {
  return async function mergeNode(state, config) {
    const input = parseWith(MergeInputSchema, { verdict: state.verdict, lesson: state.lesson, edgeCases: state.edgeCases, comparedAt: state.comparedAt }, "merge node input");
    const { verdict, edgeCases } = input;
    if (verdict.decision !== "approved") return { mergeResult: { status: "rejected", lessonId: input.lesson.id } };

    const { lesson } = input;
    const reason = mergeReason(verdict, lesson, edgeCases.length);
    const since = input.comparedAt;
    const nearDuplicateAt =
      nearDuplicateSince === undefined || since === undefined ? undefined : (candidate: Lesson, head: number) => nearDuplicateSince(candidate, { since, version: head }, config);
    const { snapshot, alreadyMerged, duplicateOf } = await mergeLesson(memory, { lesson, reason, author, verdict, edgeCases, edgeCaseStore, nearDuplicateAt });
    if (duplicateOf !== undefined) {
      return { mergeResult: { status: "duplicate", lessonId: lesson.id, duplicateOf: duplicateOf.existing.id, score: duplicateOf.score, snapshot, edgeCases: edgeCases.length } };
    }
    return { mergeResult: { status: alreadyMerged ? "already_merged" : "merged", lessonId: lesson.id, snapshot, edgeCases: edgeCases.length } };
  };
}
