import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ChromaEdgeCaseStore, ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { InMemoryOutcomeLedger, createLexicalEmbedder, type LessonMemory, type Snapshot } from "@lessonloop/core";
import { createSeededRandom } from "@lessonloop/core/testing";
import { LessonContextAnnotation, createReplayRetriever } from "@lessonloop/replay-retriever";
import { createRegressionMonitor, regressionEvidenceOf, type RegressionComparison } from "@lessonloop/regression-monitor";
import { MergeStateAnnotation, createMergeNode, describeSnapshot } from "@lessonloop/snapshot-checkpointer";
import { createRolePlayRunner, createValidatorEnsemble, majority, ValidatorEnsembleInputAnnotation, type AgentDecision } from "@lessonloop/validator-ensemble";
import { AGENT_DESCRIPTION, SHOP_TOOLS, createSimulatedRunner, shopAgentDecision } from "@lessonloop/example-shop-world";
import { DAMAGED_PARCEL, REFUND_AT_ONCE, STORED_CASES, TENANT, GIFT_WRAP, liveSuccessChance, liveTask } from "./shop-world.js";

export interface RunRollbackParams {
  /** An existing Chroma server; when omitted the embedded one is started and stopped. */
  chromaUrl?: string;
  /** Models for the three peer validators (role-play runner); when omitted they replay in the simulator. */
  validatorModels?: readonly BaseChatModel[];
  /** Seed of the simulated live traffic. */
  seed?: number;
  /** Live episodes before the merge. */
  episodesBefore?: number;
  /** Most live episodes on the merged version before giving up waiting for a rollback. */
  maxEpisodesAfterMerge?: number;
  /** Live episodes after the rollback. */
  episodesAfterRollback?: number;
  /** Episodes per point of the outcome curve. */
  window?: number;
  /** Where each line of the report goes. */
  print?: (line: string) => void;
}

/** One point of the outcome curve. */
export interface CurveWindow {
  /** First and last episode (1-based). */
  from: number;
  to: number;
  /** Memory versions the window's episodes were served from. */
  versions: number[];
  successes: number;
  episodes: number;
}

export interface RunRollbackResult {
  /** The merge's snapshot, or `undefined` when the validators rejected the lesson. */
  merge: Snapshot | undefined;
  /** Every lesson the monitor reverted: the revert, the version that had merged the lesson, and the comparison. */
  rollbacks: { snapshot: Snapshot; merged: number; retiredLessons: string[]; evidence: RegressionComparison | undefined }[];
  /** Success rates of the live runs served from each phase. */
  rates: { beforeMerge: number; afterMerge: number | null; afterRollback: number | null };
  /** Episodes run on the merged version before the rollback. */
  episodesOnMerge: number;
  /** Ids of the lessons a refund request is served, on the merged version and at the end. */
  served: { onMerge: string[]; atEnd: string[] };
  curve: CurveWindow[];
}

interface Episode {
  index: number;
  version: number;
  served: string[];
  success: boolean;
}

const LiveState = Annotation.Root({
  ...MessagesAnnotation.spec,
  ...LessonContextAnnotation.spec,
  decision: Annotation<AgentDecision | undefined>,
});

const LearningState = Annotation.Root({ ...ValidatorEnsembleInputAnnotation.spec, ...MergeStateAnnotation.spec });

const percent = (rate: number | null) => (rate === null ? "  n/a" : `${(rate * 100).toFixed(0).padStart(3)}%`);
const rateOf = (episodes: readonly Episode[]) => (episodes.length === 0 ? null : episodes.filter((episode) => episode.success).length / episodes.length);

/** The outcome curve as an ASCII chart: one bar per window. */
function renderCurve(curve: readonly CurveWindow[], print: (line: string) => void): void {
  print("Live success rate per window (# = 5 %):");
  for (const window of curve) {
    const rate = window.successes / window.episodes;
    const label = `  ep ${String(window.from).padStart(3)}-${String(window.to).padEnd(3)} v${window.versions.join("+v").padEnd(5)}`;
    print(`${label} ${percent(rate)} ${"#".repeat(Math.round(rate * 20))}`);
  }
}

/**
 * A lesson that looked good passes validation, is merged, and hurts live
 * traffic; the regression monitor notices and rolls memory back on its own.
 */
export async function runRollback({
  chromaUrl,
  validatorModels,
  seed = 4,
  episodesBefore = 40,
  maxEpisodesAfterMerge = 80,
  episodesAfterRollback = 30,
  window = 10,
  print = console.log,
}: RunRollbackParams = {}): Promise<RunRollbackResult> {
  const server = await startChroma({ url: chromaUrl });
  print(server.external ? `Using the Chroma server at ${server.url}` : `Started Chroma at ${server.url} (pid ${server.pid})`);
  try {
    const embedder = createLexicalEmbedder();
    const name = `rollback-${Date.now()}-${seed}`;
    const memory: LessonMemory = await ChromaLessonMemory.open({ url: server.url, name, embedder });
    const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: server.url, collection: `${name}-cases`, embedder });
    await edgeCaseStore.add([...STORED_CASES]);
    const ledger = new InMemoryOutcomeLedger();
    const random = createSeededRandom(seed);

    // ── The live agent: the real replay-retriever in front of a simulated agent ──
    const live = new StateGraph(LiveState)
      .addNode(
        "retrieve_lessons",
        createReplayRetriever({ memory, ledger, scope: () => TENANT, timeoutMs: 5_000, onWarning: (warning) => print(`  retriever warning: ${warning.message}`) }),
      )
      .addNode("agent", (state: typeof LiveState.State) => {
        const task = state.messages.findLast((message) => message.getType() === "human")?.text ?? "";
        const decision = shopAgentDecision(task, state.servedLessons.map((served) => served.lesson));
        return { decision, messages: [new AIMessage(JSON.stringify(decision))] };
      })
      .addEdge(START, "retrieve_lessons")
      .addEdge("retrieve_lessons", "agent")
      .addEdge("agent", END)
      .compile();

    // ── The regression monitor, fed every live outcome ──
    const rollbacks: RunRollbackResult["rollbacks"] = [];
    const monitor = createRegressionMonitor({
      memory,
      ledger,
      onRevert: (revert) => {
        rollbacks.push({
          snapshot: revert.snapshot,
          merged: revert.merged,
          retiredLessons: revert.snapshot.change.retired,
          evidence: regressionEvidenceOf(revert.snapshot),
        });
        print(`  !! regression monitor reverted ${revert.lesson}, merged at v${revert.merged} (now v${revert.snapshot.version})`);
      },
    });

    const episodes: Episode[] = [];
    const runEpisode = async (): Promise<Episode> => {
      const index = episodes.length + 1;
      const task = liveTask(index, random.pick);
      const result = await live.invoke({ messages: [new HumanMessage(task)] });
      const version = result.lessonMemoryPin?.version ?? (await memory.headVersion());
      const served = result.servedLessons.map((entry) => entry.lesson.id);
      const success = result.decision !== undefined && random.chance(liveSuccessChance(result.decision));
      const episode = { index, version, served, success };
      episodes.push(episode);
      await monitor.observe({
        episodeId: `live-${index}`,
        scope: TENANT,
        memoryVersion: version,
        servedLessons: served,
        status: success ? "success" : "failure",
        recordedAt: new Date().toISOString(),
      });
      return episode;
    };
    const servedFor = async (): Promise<string[]> => {
      const result = await live.invoke({ messages: [new HumanMessage("Please refund order 9999, the shoes do not fit.")] });
      return result.servedLessons.map((entry) => entry.lesson.id);
    };

    // ── 1. Live traffic on the memory as it was ──
    const base = await memory.commit({ add: [GIFT_WRAP], reason: "learned from a gift without its card", author: "learner" });
    print(`Memory v${base.version}: ${GIFT_WRAP.id} — "${GIFT_WRAP.guidance}"`);
    for (let i = 0; i < episodesBefore; i++) await runEpisode();
    const beforeMerge = rateOf(episodes) ?? 0;
    print(`${episodesBefore} live refund requests on v${base.version}: ${percent(beforeMerge)} succeeded`);

    // ── 2. A lesson learned from a damaged parcel passes validation and is merged ──
    print("");
    print(`Candidate lesson ${REFUND_AT_ONCE.id} (${REFUND_AT_ONCE.kind}): when "${REFUND_AT_ONCE.trigger}" → "${REFUND_AT_ONCE.guidance}"`);
    const validators = ["peer-a", "peer-b", "peer-c"].map((id, index) => {
      const model = validatorModels?.[index % validatorModels.length];
      return model === undefined ? { id } : { id, model };
    });
    const ensemble = createValidatorEnsemble({
      validators,
      runner: validatorModels === undefined ? createSimulatedRunner() : createRolePlayRunner({ agentDescription: AGENT_DESCRIPTION, tools: SHOP_TOOLS }),
      edgeCaseStore,
      policy: majority({ quorum: 2 }),
      // The lesson moves money; this small store has one stored refund case besides the motivating one, so trust it on one.
      coverage: { minCases: 1 },
    });
    const learning = new StateGraph(LearningState)
      .addNode("validate_lesson", ensemble)
      .addNode("merge_lesson", createMergeNode({ memory, edgeCaseStore }))
      .addEdge(START, "validate_lesson")
      .addEdge("validate_lesson", "merge_lesson")
      .addEdge("merge_lesson", END)
      .compile();
    const learned = await learning.invoke({ lesson: REFUND_AT_ONCE, proposer: "learner", motivatingCases: [DAMAGED_PARCEL], edgeCases: [DAMAGED_PARCEL] });
    const verdict = learned.verdict;
    if (verdict !== undefined) {
      print(`Validators: ${verdict.decision} under ${verdict.policy.name} (${verdict.tally.approve} approve, ${verdict.tally.reject} reject, ${verdict.tally.abstain} abstain)`);
      for (const vote of verdict.votes) {
        const cases = vote.evidence.map((entry) => `${entry.caseId} ${entry.passedWithout === null ? "?" : entry.passedWithout ? "pass" : "fail"}→${entry.passedWith === null ? "?" : entry.passedWith ? "pass" : "fail"}`);
        print(`  ${vote.validator}: ${vote.decision} — ${cases.join(", ")}`);
      }
    }
    const mergeResult = learned.mergeResult;
    if (mergeResult === undefined || mergeResult.status === "rejected") {
      print("The validators rejected the lesson: nothing was merged, nothing to roll back.");
      return { merge: undefined, rollbacks, rates: { beforeMerge, afterMerge: null, afterRollback: null }, episodesOnMerge: 0, served: { onMerge: [], atEnd: await servedFor() }, curve: [] };
    }
    const merge = mergeResult.snapshot;
    print(`Merged: ${describeSnapshot(merge)}`);
    const onMerge = await servedFor();
    print(`A refund request is now served: ${onMerge.join(", ") || "(no lessons)"}`);

    // ── 3. Live traffic on the merge, until the monitor acts ──
    print("");
    const mergeStart = episodes.length;
    while (rollbacks.length === 0 && episodes.length - mergeStart < maxEpisodesAfterMerge) await runEpisode();
    const onMergeEpisodes = episodes.slice(mergeStart).filter((episode) => episode.version === merge.version);
    const afterMerge = rateOf(onMergeEpisodes);
    print(`${onMergeEpisodes.length} live refund requests on v${merge.version}: ${percent(afterMerge)} succeeded`);

    // ── 4. Live traffic after the rollback ──
    const rollbackStart = episodes.length;
    if (rollbacks.length > 0) for (let i = 0; i < episodesAfterRollback; i++) await runEpisode();
    const afterRollback = rateOf(episodes.slice(rollbackStart));
    if (rollbacks.length > 0) print(`${episodes.length - rollbackStart} live refund requests after the rollback: ${percent(afterRollback)} succeeded`);

    // ── Report ──
    const curve: CurveWindow[] = [];
    for (let from = 0; from < episodes.length; from += window) {
      const slice = episodes.slice(from, from + window);
      curve.push({
        from: from + 1,
        to: from + slice.length,
        versions: [...new Set(slice.map((episode) => episode.version))],
        successes: slice.filter((episode) => episode.success).length,
        episodes: slice.length,
      });
    }
    print("");
    renderCurve(curve, print);

    print("");
    print("History (newest first):");
    for (const snapshot of await memory.history()) print(`  ${describeSnapshot(snapshot)}`);
    const [rollback] = rollbacks;
    if (rollback !== undefined) {
      print("");
      print(`The rollback, v${rollback.snapshot.version}:`);
      print(`  reason: ${rollback.snapshot.reason}`);
      const evidence = rollback.evidence;
      if (evidence !== undefined) {
        print(
          `  evidence: v${evidence.before.version} ${evidence.before.successes}/${evidence.before.episodes} (${percent(evidence.before.rate)}) → ` +
            `v${evidence.after.version} ${evidence.after.successes}/${evidence.after.episodes} (${percent(evidence.after.rate)}), ` +
            `drop ${((evidence.drop ?? 0) * 100).toFixed(1)} points, ${evidence.test} p=${(evidence.pValue ?? 1).toPrecision(3)} ≤ ${evidence.lookAlpha.toPrecision(3)} (look ${evidence.look})`,
        );
      }
    }
    const atEnd = await servedFor();
    const stillLive = (await memory.list()).some((lesson) => lesson.id === REFUND_AT_ONCE.id);
    print(`A refund request is now served: ${atEnd.join(", ") || "(no lessons)"}; ${REFUND_AT_ONCE.id} is ${stillLive ? "still live" : "no longer in live memory"}`);

    return { merge, rollbacks, rates: { beforeMerge, afterMerge, afterRollback }, episodesOnMerge: onMergeEpisodes.length, served: { onMerge, atEnd }, curve };
  } finally {
    await server.stop();
  }
}
