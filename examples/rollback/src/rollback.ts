import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ChromaEdgeCaseStore, ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import {
  InMemoryOutcomeLedger,
  createLexicalEmbedder,
  formatScope,
  type EdgeCaseInput,
  type LessonInput,
  type LessonMemory,
  type Snapshot,
  type SnapshotEvidence,
} from "@lessonloop/core";
import { createSeededRandom } from "@lessonloop/core/testing";
import { LessonContextAnnotation, createLessonSelector, createReplayRetriever } from "@lessonloop/replay-retriever";
import { createRegressionMonitor } from "@lessonloop/regression-monitor";
import { MergeStateAnnotation, createMergeNode, describeSnapshot } from "@lessonloop/snapshot-checkpointer";
import {
  createRolePlayRunner,
  createValidatorEnsemble,
  majority,
  ValidatorEnsembleInputAnnotation,
  type AgentDecision,
} from "@lessonloop/validator-ensemble";
import { AGENT_DESCRIPTION, SHOP_TOOLS, createSimulatedRunner, shopAgentDecision } from "@lessonloop/example-shop-world";
import {
  DAMAGED_PARCEL,
  GIFT_WRAP,
  GLOBEX_DAMAGED_CASE,
  GLOBEX_DAMAGED_REFUND,
  GLOBEX_GIFT_CASE,
  GLOBEX_GIFT_WRAP,
  PROBE_TASKS,
  REFUND_AT_ONCE,
  STORED_CASES,
  TENANTS,
  acmeTask,
  globexTask,
  successChance,
  type LiveTask,
  type Tenant,
} from "./shop-world.js";

export interface RunRollbackParams {
  /** An existing Chroma server; when omitted the embedded one is started and stopped. */
  chromaUrl?: string;
  /** Models for the three peer validators (role-play runner); when omitted they replay in the simulator. */
  validatorModels?: readonly BaseChatModel[];
  /** Seed of the simulated live traffic. */
  seed?: number;
  /** Rounds of live traffic before acme's lesson is merged; a round is one acme run and one globex run. */
  roundsBefore?: number;
  /** After how many rounds on acme's merged lesson each of globex's two lessons is validated and merged. */
  globexMergesAfter?: readonly [number, number];
  /** Most rounds after acme's merge before giving up waiting for a revert. */
  maxRoundsAfterMerge?: number;
  /** Rounds of live traffic after the revert. */
  roundsAfterRevert?: number;
  /** Rounds per point of the outcome curve. */
  window?: number;
  /** Where each line of the report goes. */
  print?: (line: string) => void;
}

/** One live run. */
export interface LiveEpisode {
  round: number;
  tenant: Tenant;
  /** The memory version it was served from. */
  version: number;
  served: string[];
  success: boolean;
}

/** Success of a tenant's live runs: the share, and the counts. */
export interface Rate {
  rate: number | null;
  successes: number;
  episodes: number;
}

/** A fixed set of a tenant's requests answered on one memory version. */
export interface ProbeRun {
  version: number;
  /** Per request: the lessons it was served and the tool the agent called (or `answer`). */
  answers: { task: string; served: string[]; action: string }[];
  /** Mean chance that these requests end well, by the same rule as the live runs. */
  successChance: number;
}

/** One point of the outcome curve. */
export interface CurveWindow {
  /** First and last round (1-based). */
  from: number;
  to: number;
  /** Memory versions the window's runs were served from. */
  versions: number[];
  rates: Record<Tenant, Rate>;
}

export interface RunRollbackResult {
  /** Every lesson merged, in order: whose, and the snapshot that merged it. */
  merges: { lesson: string; tenant: Tenant; snapshot: Snapshot }[];
  /** Lessons the validators rejected (nothing merged for them). */
  rejected: string[];
  /** Every lesson the monitor reverted: the revert's snapshot and its typed evidence. */
  reverts: { lesson: string; merged: number; snapshot: Snapshot; evidence: SnapshotEvidence | undefined }[];
  /**
   * Each tenant's live success rate by the version its runs were served from:
   * before acme's merge, from it to the revert, after the revert; and on each version.
   */
  rates: Record<Tenant, { beforeMerge: Rate; beforeRevert: Rate; afterRevert: Rate; byVersion: Map<number, Rate> }>;
  /** acme runs that were served acme's lesson before the revert. */
  servedBeforeRevert: number;
  /** Each tenant's live lessons on the version before the revert, on the revert, and at the head when the run ended (ids, sorted). */
  liveLessons: Record<Tenant, { beforeRevert: string[]; afterRevert: string[]; atEnd: string[] }>;
  /** The live version when the run ended. */
  head: number;
  /** Each tenant's fixed requests answered on the version before the revert and after it. */
  probe: Record<Tenant, { beforeRevert: ProbeRun; afterRevert: ProbeRun }> | undefined;
  episodes: LiveEpisode[];
  curve: CurveWindow[];
}

const LiveState = Annotation.Root({
  ...MessagesAnnotation.spec,
  ...LessonContextAnnotation.spec,
  decision: Annotation<AgentDecision | undefined>,
});

const LearningState = Annotation.Root({ ...ValidatorEnsembleInputAnnotation.spec, ...MergeStateAnnotation.spec });

const rateOf = (episodes: readonly LiveEpisode[]): Rate => {
  const successes = episodes.filter((episode) => episode.success).length;
  return { rate: episodes.length === 0 ? null : successes / episodes.length, successes, episodes: episodes.length };
};
const percent = (rate: number | null) => (rate === null ? "  n/a" : `${(rate * 100).toFixed(0).padStart(3)}%`);
const showRate = ({ rate, successes, episodes }: Rate) => `${percent(rate)} (${successes}/${episodes})`.padEnd(13);
const passFail = (passed: boolean | null) => (passed === null ? "?" : passed ? "pass" : "fail");
const actionOf = (decision: AgentDecision) => (decision.type === "tool_call" ? decision.name : decision.type);
const tenantOf = (lesson: LessonInput): Tenant => (lesson.scope.tenant === "acme" ? "acme" : "globex");

/** A revert's typed evidence on one line. */
function describeEvidence(evidence: SnapshotEvidence): string {
  const { before, after, drop, pValue, lookAlpha, look, test, scope, lessons } = evidence;
  return (
    `lessons [${lessons.join(", ")}] in ${scope === undefined ? "all scopes" : formatScope(scope)}: ` +
    `before v${after.version} ${before.successes}/${before.episodes} (${percent(before.rate).trim()}) → served it ${after.successes}/${after.episodes} (${percent(after.rate).trim()}), ` +
    `drop ${((drop ?? 0) * 100).toFixed(1)} points, ${test} p=${(pValue ?? 1).toPrecision(3)} ≤ ${lookAlpha.toPrecision(3)} (look ${look})`
  );
}

/** The outcome curve as an ASCII chart: per window, each tenant's bar. */
function renderCurve(curve: readonly CurveWindow[], print: (line: string) => void): void {
  print("Live success rate per window (# = 10 %):");
  for (const window of curve) {
    const label = `  rounds ${String(window.from).padStart(3)}-${String(window.to).padEnd(3)} v${window.versions.join("+v").padEnd(8)}`;
    const bars = TENANTS.map((tenant) => {
      const { rate } = window.rates[tenant];
      return `${tenant} ${percent(rate)} ${"#".repeat(Math.round((rate ?? 0) * 10)).padEnd(10)}`;
    });
    print(`${label} ${bars.join("   ")}`.trimEnd());
  }
}

/**
 * Two tenants share one memory. An acme lesson passes validation, is merged and
 * hurts acme's live traffic; globex's good lessons keep merging on top of it.
 * The regression monitor reverts the acme lesson alone, after those merges, and
 * globex's live lessons and success stay as they were.
 */
export async function runRollback({
  chromaUrl,
  validatorModels,
  seed = 4,
  roundsBefore = 40,
  globexMergesAfter = [4, 8],
  maxRoundsAfterMerge = 80,
  roundsAfterRevert = 20,
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

    // ── The live agent: the real replay-retriever in front of a simulated agent; the tenant comes with each run ──
    const tenantScope = (config: { configurable?: Record<string, unknown> }) => ({ tenant: String(config.configurable?.["tenant"]) });
    const selection = { memory, ledger, timeoutMs: 5_000 };
    // Chooses lessons as the retriever does, at any version: for the validators' replays and for comparing versions.
    const select = createLessonSelector(selection);
    const live = new StateGraph(LiveState)
      .addNode(
        "retrieve_lessons",
        createReplayRetriever({ ...selection, scope: (_state, config) => tenantScope(config), onWarning: (warning) => print(`  retriever warning: ${warning.message}`) }),
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

    // ── One regression monitor for the whole memory: each lesson is judged on runs of its own tenant ──
    const reverts: RunRollbackResult["reverts"] = [];
    const monitor = createRegressionMonitor({
      memory,
      ledger,
      onRevert: (revert) => {
        reverts.push({ lesson: revert.lesson, merged: revert.merged, snapshot: revert.snapshot, evidence: revert.snapshot.evidence });
        print(`  !! regression monitor reverted ${revert.lesson} (${revert.comparison.scope === undefined ? "all runs" : formatScope(revert.comparison.scope)}), merged at v${revert.merged}, as v${revert.snapshot.version}`);
      },
    });

    const episodes: LiveEpisode[] = [];
    const runEpisode = async (round: number, tenant: Tenant, task: LiveTask): Promise<void> => {
      const result = await live.invoke({ messages: [new HumanMessage(task.text)] }, { configurable: { tenant } });
      const version = result.lessonMemoryPin?.version ?? (await memory.headVersion());
      const served = result.servedLessons.map((entry) => entry.lesson.id);
      const success = result.decision !== undefined && random.chance(successChance(task, result.decision));
      episodes.push({ round, tenant, version, served, success });
      await monitor.observe({
        episodeId: `live-${tenant}-${round}`,
        scope: { tenant },
        memoryVersion: version,
        servedLessons: served,
        status: success ? "success" : "failure",
        recordedAt: new Date().toISOString(),
      });
    };
    let round = 0;
    const runRound = async (): Promise<void> => {
      round++;
      await runEpisode(round, "acme", acmeTask(round, random.pick));
      await runEpisode(round, "globex", globexTask(round, random.pick));
    };

    // ── The learning path: three peers validate each candidate, the merge node commits it ──
    const validators = ["peer-a", "peer-b", "peer-c"].map((id, index) => {
      const model = validatorModels?.[index % validatorModels.length];
      return model === undefined ? { id } : { id, model };
    });
    const ensemble = createValidatorEnsemble({
      validators,
      runner: validatorModels === undefined ? createSimulatedRunner() : createRolePlayRunner({ agentDescription: AGENT_DESCRIPTION, tools: SHOP_TOOLS }),
      edgeCaseStore,
      // Replays see the tenant's live lessons too, so a case another lesson already fixed still passes.
      servedLessons: async (edgeCase) => (await select({ text: edgeCase.input, scope: edgeCase.scope })).lessons.map((served) => served.lesson),
      policy: majority({ quorum: 2 }),
      // The refund lessons move money; each tenant's small store has one stored refund case besides the motivating one, so trust it on one.
      coverage: { minCases: 1 },
    });
    const learning = new StateGraph(LearningState)
      .addNode("validate_lesson", ensemble)
      .addNode("merge_lesson", createMergeNode({ memory, edgeCaseStore }))
      .addEdge(START, "validate_lesson")
      .addEdge("validate_lesson", "merge_lesson")
      .addEdge("merge_lesson", END)
      .compile();
    const merges: RunRollbackResult["merges"] = [];
    const rejected: string[] = [];
    const learn = async (lesson: LessonInput, motivating: EdgeCaseInput, { votes }: { votes: boolean }): Promise<Snapshot | undefined> => {
      print(`Candidate ${formatScope(lesson.scope)} lesson ${lesson.id} (${lesson.kind}): when "${lesson.trigger}" → "${lesson.guidance}"`);
      const learned = await learning.invoke({ lesson, proposer: "learner", motivatingCases: [motivating], edgeCases: [motivating] });
      const verdict = learned.verdict;
      if (verdict !== undefined) {
        print(`  validators: ${verdict.decision} under ${verdict.policy.name} (${verdict.tally.approve} approve, ${verdict.tally.reject} reject, ${verdict.tally.abstain} abstain)`);
        if (votes) {
          for (const vote of verdict.votes) {
            const cases = vote.evidence.map((entry) => `${entry.caseId} ${entry.withoutSkipped === true ? "–" : passFail(entry.passedWithout)}→${passFail(entry.passedWith)}`);
            print(`    ${vote.validator}: ${vote.decision} — ${cases.join(", ")}`);
          }
          if (verdict.votes.some((vote) => vote.evidence.some((entry) => entry.withoutSkipped === true))) print("    (– = not replayed without the lesson: it passes with it, so it cannot be a break)");
        }
      }
      const result = learned.mergeResult;
      if (result === undefined || result.status === "rejected") {
        rejected.push(lesson.id);
        print(`  not merged`);
        return undefined;
      }
      merges.push({ lesson: lesson.id, tenant: tenantOf(lesson), snapshot: result.snapshot });
      print(`  merged as v${result.snapshot.version}`);
      return result.snapshot;
    };

    // ── 1. Live traffic of both tenants on the memory as it was ──
    const base = await memory.commit({ add: [GIFT_WRAP], reason: "learned from a gift without its card", author: "learner" });
    print(`Memory v${base.version}: acme ${GIFT_WRAP.id} — "${GIFT_WRAP.guidance}"; globex has no lessons yet`);
    for (let i = 0; i < roundsBefore; i++) await runRound();
    print(`${roundsBefore} rounds on v${base.version} (one acme refund request and one globex request each)`);

    // ── 2. acme's lesson, learned from a damaged parcel, passes validation and is merged ──
    print("");
    const acmeMerge = await learn(REFUND_AT_ONCE, DAMAGED_PARCEL, { votes: true });
    // Phases by the version a run was served from: before acme's merge, from it to the revert, after the revert.
    const summary = (): RunRollbackResult => {
      const merged = acmeMerge?.version ?? Infinity;
      const reverted = reverts[0]?.snapshot.version ?? Infinity;
      const phase = (tenant: Tenant, from: number, to: number) => rateOf(episodes.filter((episode) => episode.tenant === tenant && episode.version >= from && episode.version < to));
      const rates = Object.fromEntries(
        TENANTS.map((tenant) => {
          const versions = [...new Set(episodes.map((episode) => episode.version))].sort((a, b) => a - b);
          const byVersion = new Map(versions.map((version) => [version, phase(tenant, version, version + 1)]));
          return [tenant, { beforeMerge: phase(tenant, 0, merged), beforeRevert: phase(tenant, merged, reverted), afterRevert: phase(tenant, reverted, Infinity), byVersion }];
        }),
      ) as RunRollbackResult["rates"];
      const servedBeforeRevert = episodes.filter((episode) => episode.version < reverted && episode.served.includes(REFUND_AT_ONCE.id)).length;
      const none = { beforeRevert: [], afterRevert: [], atEnd: [] };
      return { merges, rejected, reverts, rates, servedBeforeRevert, liveLessons: { acme: none, globex: none }, head: 0, probe: undefined, episodes, curve: [] };
    };
    if (acmeMerge === undefined) {
      print("The validators rejected acme's lesson: nothing was merged, nothing to revert.");
      return summary();
    }

    // ── 3. Live traffic on the merge; globex's lessons keep merging on top; the monitor watches every lesson ──
    const globexLessons: [LessonInput, EdgeCaseInput][] = [
      [GLOBEX_DAMAGED_REFUND, GLOBEX_DAMAGED_CASE],
      [GLOBEX_GIFT_WRAP, GLOBEX_GIFT_CASE],
    ];
    print("");
    for (let after = 1; reverts.length === 0 && after <= maxRoundsAfterMerge; after++) {
      await runRound();
      const next = globexMergesAfter.indexOf(after);
      const pair = globexLessons[next];
      if (pair !== undefined) await learn(pair[0], pair[1], { votes: false });
    }

    // ── 4. Live traffic after the revert ──
    if (reverts.length > 0) for (let i = 0; i < roundsAfterRevert; i++) await runRound();

    // ── Report ──
    const result = summary();
    const revert = reverts[0];
    result.head = await memory.headVersion();
    print("");
    print("Success rate of live runs, by the version they were served from:");
    const versions = [...result.rates.acme.byVersion.keys()];
    print(`  ${"".padEnd(8)}${versions.map((version) => `v${version}`.padEnd(15)).join("")}`.trimEnd());
    for (const tenant of TENANTS) print(`  ${tenant.padEnd(8)}${versions.map((version) => showRate(result.rates[tenant].byVersion.get(version) ?? rateOf([])).padEnd(15)).join("")}`.trimEnd());

    const curve: CurveWindow[] = [];
    for (let from = 0; from < round; from += window) {
      const slice = episodes.filter((episode) => episode.round > from && episode.round <= from + window);
      const rates = Object.fromEntries(TENANTS.map((tenant) => [tenant, rateOf(slice.filter((episode) => episode.tenant === tenant))])) as Record<Tenant, Rate>;
      curve.push({ from: from + 1, to: Math.min(from + window, round), versions: [...new Set(slice.map((episode) => episode.version))], rates });
    }
    result.curve = curve;
    print("");
    renderCurve(curve, print);

    print("");
    print("History (newest first):");
    for (const snapshot of await memory.history()) {
      print(`  ${describeSnapshot(snapshot, { reasonChars: 70 })}`);
      if (snapshot.evidence !== undefined) print(`      evidence: ${describeEvidence(snapshot.evidence)}`);
    }

    if (revert !== undefined) {
      // Each tenant on the version just before the revert and on the revert: live lessons, live runs, and the same requests on both.
      const before = revert.snapshot.parent ?? revert.snapshot.version - 1;
      const after = revert.snapshot.version;
      // The selector reads memory as of any version; both sides are read now, so they see the same ledger.
      const probeAt = async (tenant: Tenant, version: number): Promise<ProbeRun> => {
        const answers: ProbeRun["answers"] = [];
        let chance = 0;
        for (const task of PROBE_TASKS[tenant]) {
          const selected = await select({ text: task.text, scope: { tenant }, version });
          const decision = shopAgentDecision(task.text, selected.lessons.map((served) => served.lesson));
          answers.push({ task: task.text, served: selected.lessons.map((served) => served.lesson.id), action: actionOf(decision) });
          chance += successChance(task, decision);
        }
        return { version, answers, successChance: chance / PROBE_TASKS[tenant].length };
      };
      const liveIds = async (tenant: Tenant, version: number) => (await memory.list({ scope: { tenant }, version })).map((lesson) => lesson.id).sort();
      const probe = {} as Record<Tenant, { beforeRevert: ProbeRun; afterRevert: ProbeRun }>;
      print("");
      print(`The revert, v${before} → v${after}, per tenant:`);
      for (const tenant of TENANTS) {
        const lessons = { beforeRevert: await liveIds(tenant, before), afterRevert: await liveIds(tenant, after), atEnd: await liveIds(tenant, result.head) };
        result.liveLessons[tenant] = lessons;
        const diff = await memory.diff(before, after, { scope: { tenant } });
        const changed = [...diff.added.map((lesson) => `+${lesson.id}`), ...diff.removed.map((lesson) => `−${lesson.id}`)];
        print(`  ${tenant}: live lessons ${lessons.beforeRevert.join(", ") || "(none)"} → ${lessons.afterRevert.join(", ") || "(none)"}  (${changed.join(" ") || "unchanged"})`);

        const rates = result.rates[tenant];
        // acme's lesson was live from its merge on; for the other tenant only the version right before the revert has the same lessons as after it.
        const [label, beforeRate] =
          tenant === "acme" ? [`v${acmeMerge.version}–v${before}, while ${REFUND_AT_ONCE.id} was live`, rates.beforeRevert] : [`v${before}`, rates.byVersion.get(before) ?? rateOf([])];
        print(`    live runs: ${showRate(beforeRate).trim()} on ${label} → ${showRate(rates.afterRevert).trim()} after the revert`);

        probe[tenant] = { beforeRevert: await probeAt(tenant, before), afterRevert: await probeAt(tenant, after) };
        const { beforeRevert, afterRevert } = probe[tenant];
        const sameAnswers = JSON.stringify(beforeRevert.answers) === JSON.stringify(afterRevert.answers);
        print(
          `    its ${PROBE_TASKS[tenant].length} fixed requests on v${before} and on v${after}: ${sameAnswers ? "the same lessons served, the same actions" : "different answers"}, ` +
            `success chance ${percent(beforeRevert.successChance).trim()} → ${percent(afterRevert.successChance).trim()}`,
        );
        const changedAnswer = afterRevert.answers.find((answer, index) => JSON.stringify(answer) !== JSON.stringify(beforeRevert.answers[index]));
        const was = beforeRevert.answers.find((answer) => answer.task === changedAnswer?.task);
        if (changedAnswer !== undefined && was !== undefined) {
          print(`    e.g. "${changedAnswer.task}": ${was.action} [${was.served.join(", ") || "no lessons"}] → ${changedAnswer.action} [${changedAnswer.served.join(", ") || "no lessons"}]`);
        }
      }
      result.probe = probe;
    }
    return result;
  } finally {
    await server.stop();
  }
}
