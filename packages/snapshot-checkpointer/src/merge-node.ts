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
import { EdgeCaseBatchSchema, VerdictSchema, parseWith } from "@lessonloop/core/internal";
import { Annotation } from "@langchain/langgraph";
import { z } from "zod";
import { mergeLesson } from "./merge-lesson.js";

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
}

/** The state keys the merge node reads. */
export type MergeNodeInput = Pick<MergeState, "verdict" | "lesson" | "edgeCases">;

/** A LangGraph node: reads `verdict`, `lesson`, `edgeCases`; writes `mergeResult`. */
export type MergeNode = (state: MergeNodeInput) => Promise<{ mergeResult: MergeResult }>;

const MergeInputSchema = z
  .object({
    verdict: VerdictSchema,
    lesson: LessonSchema,
    edgeCases: EdgeCaseBatchSchema.default([]),
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
 */
export function createMergeNode({ memory, edgeCaseStore, author = "validator-ensemble" }: MergeNodeParams): MergeNode {
  return async function mergeNode(state) {
    const input = parseWith(MergeInputSchema, { verdict: state.verdict, lesson: state.lesson, edgeCases: state.edgeCases }, "merge node input");
    const { verdict, edgeCases } = input;
    if (verdict.decision !== "approved") return { mergeResult: { status: "rejected", lessonId: input.lesson.id } };

    const { lesson } = input;
    const reason = mergeReason(verdict, lesson, edgeCases.length);
    const { snapshot, alreadyMerged } = await mergeLesson(memory, { lesson, reason, author, verdict, edgeCases, edgeCaseStore });
    return { mergeResult: { status: alreadyMerged ? "already_merged" : "merged", lessonId: lesson.id, snapshot, edgeCases: edgeCases.length } };
  };
}
