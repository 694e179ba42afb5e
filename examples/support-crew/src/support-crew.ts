import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { startChroma } from "@lessonloop/chroma";
import type { EdgeCaseInput, Episode, LessonInput, Scope, Verdict } from "@lessonloop/core";
import type { CaseEvidence } from "@lessonloop/core/internal";
import { createMergeNode } from "@lessonloop/snapshot-checkpointer";
import { createValidatorEnsemble, evaluateCheck, unanimous, type ReplayRunner } from "@lessonloop/validator-ensemble";
import { createAgent } from "langchain";
import { createLearningLoop, lessonloopMiddleware } from "lessonloop";
import { CREW, MEMBER_TOOLS, createSimulatedModel, decide, rolePrompt, taskMessages, type MemberName } from "./support-desk.js";

export interface SupportCrewParams {
  /** An existing Chroma server; when omitted the embedded one is started and stopped. */
  chromaUrl?: string;
  /** A tool-calling chat model every member uses; when omitted each member gets a simulated model (offline). */
  model?: BaseChatModel;
  /** Where each line of the report goes. */
  print?: (line: string) => void;
}

/** One task the crew handled. */
export interface TaskReport {
  task: string;
  /** The member the supervisor routed it to. */
  member: MemberName;
  /** The tool call the member made, if any. */
  toolCall?: { name: string; args: Record<string, unknown> };
  /** What the tool (or the member) answered. */
  result: string;
  success: boolean;
  /** Ids of the lessons lessonloopMiddleware served to the member. */
  servedLessons: string[];
}

/** A lesson a member proposed, and what its peers made of it. */
export interface ProposalReport {
  lessonId: string;
  proposer: MemberName;
  guidance: string;
  decision: Verdict["decision"];
  /** Each peer's vote with its evidence: cases fixed, broken, and passing both ways; why it stopped before its last case, if it did. */
  votes: { validator: string; decision: "approve" | "reject" | "abstain"; fixes: string[]; breaks: string[]; kept: string[]; stoppedEarly?: string }[];
  /** Snapshot version it was merged as, when merged. */
  mergedAs?: number;
}

export interface SupportCrewResult {
  /** The first shift: what built the edge-case store, and the failure that starts the learning. */
  firstShift: TaskReport[];
  proposals: ProposalReport[];
  /** A later task, by another member than the proposer, after the merge. */
  laterTask: TaskReport;
  /** What that member would have called without the merged lesson (a dry run), and whether it would have worked. */
  laterTaskWithoutLessons: { toolCall?: { name: string; args: Record<string, unknown> }; wouldSucceed: boolean };
  /** The memory's history, oldest first. */
  history: { version: number; kind: string; author: string; reason: string }[];
}

const SCOPE: Scope = { tenant: "support-crew" };

const FIRST_SHIFT = [
  "Where is my parcel? The tracking number is 1Z999AA10123456784.",
  "Please track parcel 1Z12345E0205271688 for me.",
  "My router keeps dropping the connection, the device serial is SN-4471.",
  "Could you email me the invoice for order ORD-3001?",
  "I returned everything, please refund order 1042.",
];
const LATER_TASK = "The vase in order 2077 arrived damaged, please reship it.";

/** The supervisor: routes a request to the member whose tools fit it. */
function route(task: string): MemberName {
  if (/refund|invoice|charge/i.test(task)) return "billing";
  if (/parcel|track|reship|deliver|damaged/i.test(task)) return "shipping";
  return "technical";
}

const CrewState = Annotation.Root({
  ...MessagesAnnotation.spec,
  assignee: Annotation<MemberName | undefined>,
  report: Annotation<Omit<TaskReport, "task" | "servedLessons"> | undefined>,
});
type CrewStateType = typeof CrewState.State;

function caseName(edgeCase: { id: string }): string {
  return edgeCase.id;
}

function evidenceOf(evidence: readonly CaseEvidence[]): { fixes: string[]; breaks: string[]; kept: string[] } {
  const ids = (keep: (item: CaseEvidence) => boolean) => evidence.filter(keep).map((item) => item.caseId).sort();
  return {
    fixes: ids((item) => item.passedWithout === false && item.passedWith === true),
    breaks: ids((item) => item.passedWithout === true && item.passedWith === false),
    kept: ids((item) => item.passedWithout === true && item.passedWith === true),
  };
}

function formatCall(call: { name: string; args: Record<string, unknown> } | undefined): string {
  return call === undefined ? "(no tool call)" : `${call.name}(${JSON.stringify(call.args)})`;
}

/**
 * A supervisor and three specialists (billing, shipping, technical) in one
 * LangGraph graph; each specialist is a LangChain v1 `createAgent` agent with
 * `lessonloopMiddleware`, and all share one lesson memory and one edge-case
 * store on Chroma. A lesson one member proposes is validated by the other
 * members, each replaying the stored cases with and without it; only a
 * unanimous approval is merged, and the middleware then serves it to every member.
 */
export async function runSupportCrew({ chromaUrl, model, print = console.log }: SupportCrewParams = {}): Promise<SupportCrewResult> {
  const server = await startChroma({ url: chromaUrl });
  print(server.external ? `Using the Chroma server at ${server.url}` : `Started Chroma at ${server.url} (pid ${server.pid})`);
  let closeLoop = async (): Promise<void> => {};
  try {
    const models: Record<MemberName, BaseChatModel> = {
      billing: model ?? createSimulatedModel("billing"),
      shipping: model ?? createSimulatedModel("shipping"),
      technical: model ?? createSimulatedModel("technical"),
    };

    // Each peer replays a case by running the member the case belongs to, on the peer's own model,
    // with and without the lesson in its messages: a dry run, no tool is executed.
    const runner: ReplayRunner = {
      async replay({ edgeCase, lesson, validator, signal }) {
        const owner = CREW.find((candidate) => edgeCase.tags.includes(`member:${candidate}`)) ?? route(edgeCase.input);
        const { decision } = await decide(validator.model ?? models[owner], owner, taskMessages(edgeCase.input, lesson), signal);
        return { passed: evaluateCheck(edgeCase.check, decision), output: decision };
      },
    };
    const validators = CREW.map((id) => ({ id, model: models[id] }));

    // ── The crew's lesson memory and edge-case store: one learning loop on the Chroma server ──
    // Learning in this example is the explicit proposal path below (`learning: "off"` on the
    // members); the loop opens the shared memory and store and serves lessons to the members.
    const loop = await createLearningLoop({
      learnerModel: models.billing,
      validators,
      runner,
      criticModel: null,
      chromaUrl: server.url,
      memoryName: `support-crew-${Date.now()}`,
    });
    closeLoop = async () => {
      await loop.close();
    };
    const { memory, edgeCaseStore } = loop;

    // ── The crew: supervisor → one specialist, each a createAgent agent with lessonloopMiddleware ──
    const episodes: Episode[] = [];
    const agentFor = (who: MemberName) =>
      createAgent({
        model: models[who],
        tools: MEMBER_TOOLS[who],
        systemPrompt: rolePrompt(who),
        middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", onEpisode: (episode) => episodes.push(episode), retriever: { timeoutMs: 5_000 } })],
      });
    const agents = { billing: agentFor("billing"), shipping: agentFor("shipping"), technical: agentFor("technical") };
    const member = (who: MemberName) => async (state: CrewStateType) => {
      const result = await agents[who].invoke({ messages: state.messages });
      const added = result.messages.slice(state.messages.length);
      const call = added.flatMap((message) => (AIMessage.isInstance(message) ? (message.tool_calls ?? []) : [])).at(-1);
      const toolResult = added.filter((message) => ToolMessage.isInstance(message)).at(-1);
      if (call === undefined || toolResult === undefined) return { messages: added, report: { member: who, result: added.at(-1)?.text ?? "", success: false } };
      const output = toolResult.text;
      return { messages: added, report: { member: who, toolCall: { name: call.name, args: call.args }, result: output, success: !output.startsWith("ERROR") } };
    };
    const crew = new StateGraph(CrewState)
      .addNode("supervisor", (state: CrewStateType) => ({ assignee: route(String(state.messages.at(-1)?.content ?? "")) }))
      .addNode("billing", member("billing"))
      .addNode("shipping", member("shipping"))
      .addNode("technical", member("technical"))
      .addEdge(START, "supervisor")
      .addConditionalEdges("supervisor", (state: CrewStateType) => state.assignee ?? "technical", ["billing", "shipping", "technical"])
      .addEdge("billing", END)
      .addEdge("shipping", END)
      .addEdge("technical", END)
      .compile();

    const runTask = async (task: string): Promise<TaskReport> => {
      const state = await crew.invoke({ messages: [new HumanMessage(task)] });
      const report = state.report;
      if (report === undefined) throw new Error(`The crew produced no report for "${task}".`);
      // The member's run was recorded when it ended, with the lessons it was served.
      const servedLessons = [...(episodes.at(-1)?.servedLessons ?? [])];
      const call = formatCall(report.toolCall);
      const served = servedLessons.length === 0 ? "" : ` [lessons: ${servedLessons.join(", ")}]`;
      print(`  ${report.success ? "✓" : "✗"} ${report.member.padEnd(9)} "${task}" → ${call} → ${report.result}${served}`);
      return { task, ...report, servedLessons };
    };

    // ── First shift: successes become regression cases, the failure a must-pass case ──
    print("First shift (memory v0, no lessons):");
    const firstShift: TaskReport[] = [];
    for (const task of FIRST_SHIFT) firstShift.push(await runTask(task));
    const now = new Date().toISOString();
    const regressionCases: EdgeCaseInput[] = firstShift
      .filter((report) => report.success && report.toolCall !== undefined)
      .map((report, index) => ({
        id: `${report.member}-${report.toolCall?.name ?? "answer"}-${index + 1}`,
        input: report.task,
        check: { type: "tool_call", name: report.toolCall?.name ?? "", args: report.toolCall?.args ?? {} },
        kind: "regression",
        scope: SCOPE,
        tags: [`member:${report.member}`],
        createdAt: now,
      }));
    await edgeCaseStore.add(regressionCases);
    print(`Stored ${regressionCases.length} regression cases in the shared edge-case store: ${regressionCases.map(caseName).join(", ")}`);

    const failure = firstShift.find((report) => !report.success);
    if (failure === undefined) throw new Error("Expected a failure in the first shift; nothing to learn from.");
    const proposer = failure.member;
    // The failure becomes the case a lesson must now fix: the refund, with the id the API wants.
    const rawOrderId = String(failure.toolCall?.args["orderId"] ?? "");
    const mustPass: EdgeCaseInput = {
      id: `${proposer}-refund-must-pass`,
      input: failure.task,
      check: { type: "tool_call", name: failure.toolCall?.name ?? "issue_refund", args: { orderId: `ORD-${rawOrderId}` } },
      kind: "must_pass",
      scope: SCOPE,
      tags: [`member:${proposer}`],
      createdAt: now,
    };

    // ── The learning path: peers validate, the merge node commits ─────────
    // The proposer reflects on its failure (scripted here, so the run is reproducible) and
    // proposes two candidates: an over-general one, and the narrow one.
    const proposed = (id: string, trigger: string, guidance: string): LessonInput => ({
      id,
      trigger,
      guidance,
      rationale: `${proposer}: "${failure.result}"`,
      kind: "recovery",
      scope: SCOPE,
      provenance: { agent: proposer, model: models[proposer].getName(), proposedAt: now },
      createdAt: now,
    });
    const candidates = [
      proposed("prefix-every-id", "a tool takes an id of any kind: order, parcel or device", "Prefix every id you pass to a tool with ORD- (1042 → ORD-1042), whatever the tool."),
      proposed(
        "order-id-prefix",
        "a tool takes an order id: refunds, invoices, reshipping an order",
        "Write the order id with the ORD- prefix (order 1042 → ORD-1042). Only order ids: tracking numbers and device serials stay as the customer wrote them.",
      ),
    ];

    const ensemble = createValidatorEnsemble({
      validators,
      runner,
      edgeCaseStore,
      policy: unanimous({ quorum: 2 }),
      casesPerValidator: 8,
    });
    const merge = createMergeNode({ memory, edgeCaseStore, author: "support-crew" });

    const proposals: ProposalReport[] = [];
    for (const lesson of candidates) {
      print("");
      print(`${proposer} proposes "${lesson.id}": ${lesson.guidance}`);
      const { verdict } = await ensemble.invoke({ lesson, proposer, motivatingCases: [mustPass] });
      if (verdict === undefined) throw new Error(`The ensemble gave no verdict on "${lesson.id}".`);
      const votes = verdict.votes.map((vote) => ({
        validator: vote.validator,
        decision: vote.decision,
        ...evidenceOf(vote.evidence),
        stoppedEarly: vote.stoppedEarly,
      }));
      for (const vote of votes) {
        const fixes = vote.fixes.length === 0 ? "none" : vote.fixes.join(", ");
        const breaks = vote.breaks.length === 0 ? "none" : vote.breaks.join(", ");
        const stopped = vote.stoppedEarly === undefined ? "" : ` (stopped early: ${vote.stoppedEarly})`;
        print(`  ${vote.validator.padEnd(9)} votes ${vote.decision.padEnd(7)} fixes: ${fixes}; breaks: ${breaks}; unchanged: ${vote.kept.length} passing${stopped}`);
      }
      const { mergeResult } = await merge({ verdict, lesson, edgeCases: [mustPass] });
      const mergedAs = mergeResult.status === "rejected" ? undefined : mergeResult.snapshot.version;
      print(
        mergedAs === undefined
          ? `  → REJECTED (${verdict.policy.name}): ${verdict.reason}`
          : `  → MERGED into the crew's memory as v${mergedAs} (${verdict.tally.approve} approvals, ${verdict.tally.reject} rejections)`,
      );
      proposals.push({ lessonId: lesson.id, proposer, guidance: lesson.guidance, decision: verdict.decision, votes, mergedAs });
    }

    // ── Every member benefits: a later task by another member ─────────────
    print("");
    print(`Later, memory v${await memory.headVersion()}:`);
    const laterTask = await runTask(LATER_TASK);
    // The same member on the same request without the lesson. The simulated desk has no side
    // effects, so the call is made to show what would have happened.
    const { decision: without } = await decide(models[laterTask.member], laterTask.member, taskMessages(LATER_TASK));
    const withoutCall = without.type === "tool_call" ? { name: without.name, args: without.args } : undefined;
    const withoutTool = MEMBER_TOOLS[laterTask.member].find((candidate) => candidate.name === withoutCall?.name);
    const withoutResult: unknown = withoutCall === undefined || withoutTool === undefined ? "ERROR: no tool call" : await withoutTool.invoke(withoutCall.args);
    const wouldSucceed = !String(withoutResult).startsWith("ERROR");
    const laterTaskWithoutLessons = { toolCall: withoutCall, wouldSucceed };
    print(`  (without the lesson ${laterTask.member} would have called ${formatCall(withoutCall)}, which ${wouldSucceed ? "works too" : "fails"})`);

    print("");
    print("Memory history:");
    const history = (await memory.history()).reverse().map(({ version, kind, author, reason }) => ({ version, kind, author, reason }));
    for (const entry of history) print(`  v${entry.version} ${entry.kind} by ${entry.author}: ${entry.reason}`);
    return { firstShift, proposals, laterTask, laterTaskWithoutLessons, history };
  } finally {
    await closeLoop();
    await server.stop();
  }
}
