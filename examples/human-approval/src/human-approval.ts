import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Annotation, Command, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaEdgeCaseStore, ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import type { Lesson, LessonInput, LessonMemory, Snapshot, Verdict } from "@lessonloop/core";
import { MergeStateAnnotation, createMergeNode, describeSnapshot, type MergeResult } from "@lessonloop/snapshot-checkpointer";
import {
  ValidatorEnsembleInputAnnotation,
  createRolePlayRunner,
  createValidatorEnsemble,
  majority,
  type LessonReviewDecision,
  type LessonReviewRequest,
} from "@lessonloop/validator-ensemble";
import { AGENT_DESCRIPTION, SHOP_TOOLS, createSimulatedRunner } from "@lessonloop/example-shop-world";
import { GIFT_WRAP, MOTIVATING_CASES, NO_SALE_REFUNDS, REFUND_AT_ONCE, REFUND_AT_ONCE_EDIT, STORED_CASES } from "./shop-world.js";

export interface RunHumanApprovalParams {
  /** An existing Chroma server; when omitted the embedded one is started and stopped. */
  chromaUrl?: string;
  /** Models for the three peer validators (role-play runner); when omitted they replay in the simulator. */
  validatorModels?: readonly BaseChatModel[];
  /** Where each line of the report goes. */
  print?: (line: string) => void;
}

/** What happened to one lesson. */
export interface ReviewedLesson {
  lessonId: string;
  /** The review request the graph stopped with (lesson, verdict, evidence), or `undefined` if it did not stop. */
  request: LessonReviewRequest | undefined;
  /** The reviewer's answer. */
  answer: LessonReviewDecision;
  /** The final verdict, after the review. */
  verdict: Verdict | undefined;
  /** What the merge node did. */
  mergeResult: MergeResult | undefined;
  /** The live memory version after the lesson was handled. */
  versionAfter: number;
}

export interface RunHumanApprovalResult {
  reviewed: ReviewedLesson[];
  /** Snapshot history, newest first. */
  history: Snapshot[];
  /** The lessons live at the end. */
  live: Lesson[];
}

const LearningState = Annotation.Root({ ...ValidatorEnsembleInputAnnotation.spec, ...MergeStateAnnotation.spec });

/** Lessons a human must approve: constraints, and anything tenant-wide. */
export function isSignificant(lesson: Lesson): boolean {
  return lesson.kind === "constraint" || (lesson.scope.user === undefined && lesson.scope.agent === undefined);
}

const passFail = (passed: boolean | null) => (passed === null ? "?" : passed ? "pass" : "fail");

function printRequest(request: LessonReviewRequest, print: (line: string) => void): void {
  const { lesson, verdict, evidence } = request;
  print(`  ⏸ interrupt(): review ${lesson.id} (${lesson.kind}, scope ${lesson.scope.tenant}${lesson.scope.user === undefined ? ", tenant-wide" : ""})`);
  print(`    when: ${lesson.trigger}`);
  print(`    do:   ${lesson.guidance}`);
  print(`    ensemble: ${verdict.decision} under ${verdict.policy.name} (${verdict.tally.approve} approve, ${verdict.tally.reject} reject, ${verdict.tally.abstain} abstain)`);
  for (const vote of verdict.votes) {
    const cases = vote.evidence.map((entry) => `${entry.caseId} ${passFail(entry.passedWithout)}→${passFail(entry.passedWith)}`);
    print(`      ${vote.validator}: ${vote.decision} — ${cases.join(", ")}`);
  }
  const list = (entries: readonly { caseId: string }[]) => entries.map((entry) => entry.caseId).join(", ") || "none";
  print(`    fixes: ${list(evidence.fixes)}; breaks: ${list(evidence.breaks)}`);
}

/**
 * Three lessons, each significant enough to stop the learning graph with
 * `interrupt()`; a human approves one, rejects one and edits one, and the
 * snapshot history shows the result.
 */
export async function runHumanApproval({ chromaUrl, validatorModels, print = console.log }: RunHumanApprovalParams = {}): Promise<RunHumanApprovalResult> {
  const server = await startChroma({ url: chromaUrl });
  print(server.external ? `Using the Chroma server at ${server.url}` : `Started Chroma at ${server.url} (pid ${server.pid})`);
  try {
    const embedder = createLexicalEmbedder();
    const name = `human-approval-${Date.now()}`;
    const memory: LessonMemory = await ChromaLessonMemory.open({ url: server.url, name, embedder });
    const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: server.url, collection: `${name}-cases`, embedder });
    await edgeCaseStore.add([...STORED_CASES]);

    const validators = ["peer-a", "peer-b", "peer-c"].map((id, index) => {
      const model = validatorModels?.[index % validatorModels.length];
      return model === undefined ? { id } : { id, model };
    });
    // The learning graph: validate (stopping for a human when the lesson is significant), then merge.
    const learning = new StateGraph(LearningState)
      .addNode(
        "validate_lesson",
        createValidatorEnsemble({
          validators,
          runner: validatorModels === undefined ? createSimulatedRunner() : createRolePlayRunner({ agentDescription: AGENT_DESCRIPTION, tools: SHOP_TOOLS }),
          edgeCaseStore,
          policy: majority({ quorum: 2 }),
          requiresApproval: isSignificant,
        }),
      )
      .addNode("merge_lesson", createMergeNode({ memory, edgeCaseStore }))
      .addEdge(START, "validate_lesson")
      .addEdge("validate_lesson", "merge_lesson")
      .addEdge("merge_lesson", END)
      .compile({ checkpointer: new MemorySaver() });

    const review = async (lesson: LessonInput, answer: LessonReviewDecision): Promise<ReviewedLesson> => {
      const config = { configurable: { thread_id: `review-${lesson.id}` } };
      const motivating = MOTIVATING_CASES[lesson.id];
      const cases = motivating === undefined ? [] : [motivating];
      print("");
      print(`Learned ${lesson.id}; validating…`);
      await learning.invoke({ lesson, proposer: "learner", motivatingCases: cases, edgeCases: cases }, config);
      const state = await learning.getState(config);
      const pending = state.tasks.flatMap((task) => task.interrupts).map((entry) => entry.value as LessonReviewRequest);
      const request = pending[0];
      let final: typeof LearningState.State;
      if (request === undefined) {
        print("  (not significant: no review)");
        final = state.values as typeof LearningState.State;
      } else {
        printRequest(request, print);
        const shown = answer.decision === "edit" ? `edit ${JSON.stringify(answer.lesson)}` : answer.decision;
        print(`  ▶ reviewer: ${shown}${answer.note === undefined ? "" : ` — "${answer.note}"`}`);
        final = await learning.invoke(new Command({ resume: answer }), config);
      }
      const { verdict, mergeResult } = final;
      if (verdict !== undefined) print(`  verdict: ${verdict.decision} — ${verdict.reason.split("\n")[0] ?? ""}`);
      if (mergeResult !== undefined) {
        print(
          mergeResult.status === "rejected"
            ? `  memory unchanged (still v${await memory.headVersion()})`
            : `  merged as v${mergeResult.snapshot.version}: "${final.lesson?.trigger ?? ""}" → "${final.lesson?.guidance ?? ""}"`,
        );
      }
      return { lessonId: lesson.id, request, answer, verdict, mergeResult, versionAfter: await memory.headVersion() };
    };

    const reviewed = [
      await review(GIFT_WRAP, { decision: "approve", note: "matches how we wrap gifts" }),
      await review(NO_SALE_REFUNDS, { decision: "reject", note: "sale items are refundable within 14 days by law" }),
      await review(REFUND_AT_ONCE, { decision: "edit", lesson: REFUND_AT_ONCE_EDIT, note: "only damaged parcels" }),
    ];

    const history = await memory.history();
    const live = await memory.list();
    print("");
    print("History (newest first):");
    for (const snapshot of history) print(`  ${describeSnapshot(snapshot)}`);
    print("Live lessons:");
    for (const lesson of live) print(`  ${lesson.id} (${lesson.kind}): when ${lesson.trigger} → ${lesson.guidance}`);
    return { reviewed, history, live };
  } finally {
    await server.stop();
  }
}
