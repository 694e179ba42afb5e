import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  JudgementSchema,
  type Judgement,
  type JudgementInput,
  type MemoryInstruction,
} from "@lessonloop/critic";
import {
  EdgeCaseSchema,
  EpisodeSchema,
  LessonSchema,
  LessonloopError,
  type Clock,
  type EdgeCase,
  type Embedder,
  type Episode,
  type EpisodeInput,
  type IdGenerator,
  type Lesson,
  type LessonMemory,
  type Scope,
} from "@lessonloop/core";
import {
  LESSON_LIMITS,
  MAX_CASE_TOOLS,
  ToolNameSchema,
  callStructured,
  chatModelName,
  cosineSimilarity,
  lessonSearchText,
  parseWith,
  printWarning,
  randomId,
  scopeContains,
  systemClock,
  wordOverlap,
  type CaseTruth,
  type RenderTrajectoryOptions,
  type ScoredLesson,
} from "@lessonloop/core/internal";
import { z } from "zod";
import { defaultToEdgeCase, type EdgeCaseDraft, type ToEdgeCase } from "./edge-case-derivation.js";
import {
  DEFAULT_COMPARE_PROMPT,
  DEFAULT_LEARNER_PROMPT,
  LearnerAnswerSchema,
  LessonComparisonSchema,
  MAX_PROPOSED_LESSONS,
  compareMessages,
  learnerMessages,
  type LessonRelation,
  type ProposedLesson,
} from "./learner-prompt.js";
import type { LearnerWarning, Reinforcement } from "./learner-state.js";
import { lessonScope } from "./lesson-scope.js";
import { flaggedRequests, restatedRequest, runEvidence } from "./memory-instruction-filter.js";

/**
 * Default `duplicateThreshold`, for the lexical embedder: paraphrases of a
 * lesson score 0.45–0.69 against it, lessons of the same domain that say
 * something else 0.11–0.31, unrelated ones at most 0.22 (see
 * `bench/duplicate-threshold.ts`).
 */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.4;

/** The nearest live lessons a candidate is compared with. */
const COMPARED_LESSONS = 3;

/** Most edge cases one episode becomes (one per fault it shows); each is replayed by every validator of its lessons. */
const MAX_CASES_PER_EPISODE = 4;

/**
 * Without an `embedder`, two candidates of one answer are duplicates when they
 * share this much of their content words (Dice): paraphrases reach 0.33–0.8,
 * other lessons of the same domain at most 0.38, so only clear repeats are dropped.
 */
export const CANDIDATE_OVERLAP_THRESHOLD = 0.6;

/**
 * Whether a failed run went without a live lesson that says what it needed:
 * the lesson exists but was not served, so a reinforcement would change
 * nothing — its trigger must reach this situation too.
 */
function missedBy(existing: Lesson, episode: Episode, judgement: Judgement): boolean {
  return judgement.status === "failure" && !episode.servedLessons.includes(existing.id);
}

/** A trigger that covers both situations; `undefined` past the lesson's size limit. */
function widenTrigger(existing: string, added: string): string | undefined {
  if (existing.includes(added)) return existing;
  const widened = `${existing}; also ${added.replace(/^when\b\s*/i, "when ")}`;
  return widened.length <= LESSON_LIMITS.trigger ? widened : undefined;
}

/**
 * The tools a proposal names that the episode's trajectory used (called, or
 * answered), at most `LESSON_LIMITS.tools`: a name the run never used — made up,
 * or injected into a tool output — anchors the lesson nowhere.
 */
function anchoredTools(proposed: readonly string[], episode: Episode): string[] | undefined {
  const used = new Set(toolsUsed(episode));
  const kept = [...new Set(proposed.filter((tool) => used.has(tool)))].slice(0, LESSON_LIMITS.tools);
  return kept.length === 0 ? undefined : kept;
}

/** The tools an episode's trajectory used (called, or answered), each once, valid names only. */
function toolsUsed(episode: Episode): string[] {
  const names = episode.trajectory.flatMap((step) => (step.type === "tool_call" || step.type === "tool_result" ? [step.name] : []));
  return [...new Set(names)].filter((tool) => ToolNameSchema.safeParse(tool).success);
}

/** Tools of a lesson that supersedes another for the same situation: both lessons' (new ones first), within the limit. */
function unionTools(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  const tools = [...new Set([...(a ?? []), ...(b ?? [])])].slice(0, LESSON_LIMITS.tools);
  return tools.length === 0 ? undefined : tools;
}

/** The state the learner reads. */
export interface LearnerInput {
  episode?: EpisodeInput | undefined;
  judgement?: JudgementInput | undefined;
}

/** What the learner writes (see `LearnerStateAnnotation`). */
export interface LearnerUpdate {
  candidates: Lesson[];
  reinforcements: Reinforcement[];
  edgeCases: EdgeCase[];
  learnerWarnings: LearnerWarning[];
  /** The memory version the candidates were compared with; absent when none was proposed. */
  comparedAt?: number | undefined;
}

/** A live lesson that a candidate repeats (`same`) or refines, with the memory's score between them. */
export interface NearDuplicate {
  existing: Lesson;
  relation: "same" | "refines";
  score: number;
}

/**
 * A LangGraph node: reads `episode` and `judgement`; writes `candidates`,
 * `reinforcements`, `edgeCases`, `learnerWarnings` and `comparedAt`.
 */
export interface LearnerNode {
  (state: LearnerInput, config?: LangGraphRunnableConfig): Promise<LearnerUpdate>;
  /**
   * The learner's near-duplicate check once more, for a candidate about to be
   * merged: against the lessons that became live after `since` (the
   * `comparedAt` the learner wrote) up to `version`. Another worker learning
   * another episode of the same situation may have merged its lesson while this
   * one was validated. A lesson merged meanwhile from one of the candidate's
   * own episodes (an earlier delivery of it) is `same` without asking the
   * comparator. Undefined when nothing merged meanwhile comes near.
   */
  nearDuplicateSince?: (lesson: Lesson, range: { since: number; version: number }, config?: LangGraphRunnableConfig) => Promise<NearDuplicate | undefined>;
}

/** Decides whether a candidate says the same as a live lesson it nearly duplicates. */
export type LessonComparator = (candidate: Pick<Lesson, "trigger" | "guidance">, existing: Lesson) => Promise<LessonRelation>;

export interface LearnerParams {
  /** The model that proposes lessons (with `withStructuredOutput`) and, by default, compares near-duplicates. */
  model: BaseChatModel;
  /** The shared memory candidates are checked against, e.g. `ChromaLessonMemory`. */
  memory: LessonMemory;
  /** The agent (or crew member) proposing: recorded in each lesson's provenance. */
  agentName: string;
  /** The model name recorded in provenance. Default: the name the model reports (e.g. `gpt-4o-mini`), else its type. */
  modelName?: string;
  /** At most this many candidate lessons an episode. Default 3 (at most 10). */
  maxLessons?: number;
  /**
   * A live lesson whose memory score against a candidate (cosine of trigger +
   * guidance) is at least this is a near-duplicate: the candidate reinforces or
   * supersedes it instead of becoming a new lesson. Default
   * {@link DEFAULT_DUPLICATE_THRESHOLD} (0.4), measured for the lexical
   * embedder; re-measure for a neural embedder, whose unrelated texts score higher.
   */
  duplicateThreshold?: number;
  /**
   * The embedder your memory uses, to compare the candidates of one answer with
   * each other at `duplicateThreshold`. Without it they are compared by shared
   * words ({@link CANDIDATE_OVERLAP_THRESHOLD}).
   */
  embedder?: Embedder;
  /**
   * Whether a candidate says the `same` as a near-duplicate live lesson
   * (→ reinforcement), `refines` it (→ a new lesson that supersedes it) or is
   * `different` (→ a new lesson). Default: asks `model`; if its answer is
   * malformed twice, `same` (memory unchanged) with a warning.
   */
  compare?: LessonComparator;
  /** Turns the episode into an edge case. Default {@link defaultToEdgeCase}. */
  toEdgeCase?: ToEdgeCase;
  /** The learner model's instructions; `{maxLessons}` is filled in. Default {@link DEFAULT_LEARNER_PROMPT}. */
  prompt?: string;
  /** Instructions for the default `compare`. Default {@link DEFAULT_COMPARE_PROMPT}. */
  comparePrompt?: string;
  /** How much of the trajectory the model sees. Defaults: 1,000 characters a step, 12,000 in all. */
  trajectory?: RenderTrajectoryOptions;
  /** Ids of new lessons and edge cases. Default random UUIDs. */
  ids?: IdGenerator;
  /** Stamps `createdAt` and `proposedAt`. Default the system clock. */
  clock?: Clock;
  /** Told about every warning also written to `learnerWarnings`. Default: one line on the console. */
  onWarning?: (warning: LearnerWarning) => void;
}

const NumbersSchema = z.object({
  agentName: z.string().trim().min(1, "must not be empty").max(200),
  maxLessons: z.number().int().min(1).max(MAX_PROPOSED_LESSONS),
  duplicateThreshold: z.number().min(-1).max(1),
});

/** Where a flagged text was, in words. */
function placeOf({ source, step, tool }: MemoryInstruction): string {
  if (source === "task_input") return "the task input";
  const at = step === undefined ? "" : ` (step ${step})`;
  if (source === "user_message") return `a user message${at}`;
  return tool === undefined ? `a tool message${at}` : `the output of tool ${tool}${at}`;
}

function quote(text: string, max: number): string {
  return JSON.stringify(text.length <= max ? text : `${text.slice(0, max - 1)}…`);
}

function logWarning(warning: LearnerWarning): void {
  printWarning({ source: "learner", detail: `${warning.kind}, episode ${warning.episodeId}`, message: warning.message });
}

/** The last `limit` distinct ids, oldest first. */
function mergeEvidence(earlier: readonly string[], episodeId: string): string[] {
  const merged = [...new Set([...earlier.filter((id) => id !== episodeId), episodeId])];
  return merged.slice(-LESSON_LIMITS.evidence);
}

/**
 * Creates the learner node. From a judged episode worth learning from it asks
 * `model` for at most `maxLessons` lessons (structured output; a malformed
 * answer is retried once, then it proposes none and warns), scopes each within
 * the run's tenant, and checks each against `memory`:
 *
 * - a near-duplicate of a live lesson that says the **same** becomes a
 *   reinforcement of it, not a new lesson;
 * - one that **refines** it becomes a new lesson that supersedes it (evidence
 *   merged) — when its scope covers the old lesson's; a narrower refinement
 *   (e.g. one user's exception to a tenant rule) is added without superseding;
 * - repeats among the candidates themselves are dropped.
 *
 * Before that, a candidate whose guidance or trigger only restates text in the
 * run that addresses the agent's memory or instructions (flagged by the critic
 * in `judgement.memoryInstructions`, or found by the same detector in the
 * episode) is dropped with a `restates_memory_instruction` warning: "note to
 * the assistant's memory: …" in a task or a tool output is never a lesson by
 * itself. A candidate whose words the run's own evidence (the error, the
 * recovery, the feedback or evaluator's reason) shows is kept, however near it
 * comes to such a text.
 *
 * Every judged episode (worth learning or not) also becomes an edge case
 * through `toEdgeCase`. Memory errors propagate (typed); nothing is half-proposed.
 */
export function createLearner({
  model,
  memory,
  agentName,
  modelName,
  maxLessons = 3,
  duplicateThreshold = DEFAULT_DUPLICATE_THRESHOLD,
  embedder,
  compare,
  toEdgeCase = defaultToEdgeCase,
  prompt = DEFAULT_LEARNER_PROMPT,
  comparePrompt = DEFAULT_COMPARE_PROMPT,
  trajectory = {},
  ids = randomId,
  clock = systemClock,
  onWarning = logWarning,
}: LearnerParams): LearnerNode {
  parseWith(NumbersSchema, { agentName, maxLessons, duplicateThreshold }, "learner params");
  const provenanceModel = modelName ?? chatModelName(model).slice(0, 200);

  /** What decided the case's truth; feedback is one user's word, and says whose, and what contradicted it. */
  function truthOf(episode: Episode, judgement: Judgement): CaseTruth {
    const { source } = judgement.signal;
    if (source !== "user_feedback") return { source };
    return {
      source,
      ...(episode.scope.user === undefined ? {} : { by: episode.scope.user }),
      ...(judgement.contradictedBy === undefined ? {} : { contradictedBy: judgement.contradictedBy.source }),
    };
  }

  function deriveEdgeCase(episode: Episode, judgement: Judgement, now: string): EdgeCase[] {
    if (episode.input.trim() === "") return [];
    const drafts = toEdgeCase(episode, judgement);
    if (drafts === undefined) return [];
    const tools = toolsUsed(episode).slice(0, MAX_CASE_TOOLS);
    const each: readonly EdgeCaseDraft[] = "check" in drafts ? [drafts] : drafts;
    return each.slice(0, MAX_CASES_PER_EPISODE).map((draft) =>
      parseWith(
        EdgeCaseSchema,
        {
          id: ids(),
          input: episode.input,
          check: draft.check,
          kind: draft.kind,
          originEpisode: episode.id,
          scope: episode.scope,
          tags: draft.tags ?? [`from:${judgement.status}`, `signal:${judgement.signal.source}`],
          truth: truthOf(episode, judgement),
          // Its replays are served the lessons anchored to the tools the run used, as the agent was.
          ...(tools.length === 0 ? {} : { tools }),
          createdAt: now,
        },
        "edge case from toEdgeCase",
      ),
    );
  }

  /**
   * Drops candidates that repeat an earlier one of the same answer. They are
   * compared by what they say to do: candidates of one episode share their
   * situation, so similar triggers do not make two lessons one.
   */
  async function distinct(proposals: ProposedLesson[]): Promise<ProposedLesson[]> {
    const texts = proposals.map((proposal) => proposal.guidance);
    const vectors = embedder === undefined ? undefined : await embedder.embedDocuments(texts);
    const kept: number[] = [];
    proposals.forEach((_proposal, index) => {
      const repeats = kept.some((earlier) =>
        vectors === undefined
          ? wordOverlap(texts[earlier] as string, texts[index] as string) >= CANDIDATE_OVERLAP_THRESHOLD
          : cosineSimilarity(vectors[earlier] as number[], vectors[index] as number[]) >= duplicateThreshold,
      );
      if (!repeats) kept.push(index);
    });
    return kept.map((index) => proposals[index] as ProposedLesson);
  }

  /** `compare`, or by default the model; a comparison that fails twice counts as `same` (memory unchanged), with a warning. */
  function comparator(episodeId: string, warn: (warning: LearnerWarning) => void, config: LangGraphRunnableConfig | undefined): LessonComparator {
    return (
      compare ??
      (async (candidate, existing) => {
        const result = await callStructured({
          model,
          schema: LessonComparisonSchema,
          name: "compare_lessons",
          messages: compareMessages(candidate, existing, comparePrompt),
          config,
        });
        if (result.ok) return result.value.relation;
        warn({ kind: "comparison_failed", reason: result.reason, episodeId, message: `${result.message} (lesson "${existing.id}")`, attempts: result.attempts });
        return "same";
      })
    );
  }

  /** The first near-duplicate in the candidate's tenant (nearest first) that the comparator does not call different. */
  async function firstRelated(candidate: Pick<Lesson, "trigger" | "guidance">, tenant: string, hits: readonly ScoredLesson[], relationTo: LessonComparator): Promise<NearDuplicate | undefined> {
    for (const { lesson: existing, score } of hits) {
      if (score < duplicateThreshold || existing.scope.tenant !== tenant) continue;
      const relation = await relationTo(candidate, existing);
      if (relation !== "different") return { existing, relation, score };
    }
    return undefined;
  }

  async function nearDuplicateSince(lesson: Lesson, { since, version }: { since: number; version: number }, config?: LangGraphRunnableConfig): Promise<NearDuplicate | undefined> {
    if (version <= since) return undefined;
    const { added } = await memory.diff(since, version);
    const fresh = new Set(added.filter((existing) => existing.id !== lesson.id && existing.scope.tenant === lesson.scope.tenant).map((existing) => existing.id));
    if (fresh.size === 0) return undefined;
    // The nearest of those merged meanwhile, as many as the learner compares: the rest were compared already.
    const nearest = await memory.search({ query: lessonSearchText(lesson), scope: lesson.scope, k: 100, version });
    const hits = nearest.filter(({ lesson: existing }) => fresh.has(existing.id)).slice(0, COMPARED_LESSONS);
    // A lesson merged meanwhile from the same episode is this answer's companion when the same proposal made it
    // (`distinct` already told the two apart), else the episode learned a second time (a redelivery): a repeat.
    const fromThisEpisode = (existing: Lesson) => existing.evidence.some((id) => lesson.evidence.includes(id));
    const sameProposal = (existing: Lesson) =>
      existing.provenance.agent === lesson.provenance.agent && existing.provenance.proposedAt === lesson.provenance.proposedAt;
    const again = hits.find(({ lesson: existing, score }) => score >= duplicateThreshold && fromThisEpisode(existing) && !sameProposal(existing));
    if (again !== undefined) return { existing: again.lesson, relation: "same", score: again.score };
    const others = hits.filter(({ lesson: existing }) => !fromThisEpisode(existing));
    return firstRelated(lesson, lesson.scope.tenant, others, comparator(lesson.evidence.at(-1) ?? lesson.id, onWarning, config));
  }

  async function learner(state: LearnerInput, config?: LangGraphRunnableConfig): Promise<LearnerUpdate> {
    const episode = parseWith(EpisodeSchema, state.episode, "episode in state");
    const judgement = parseWith(JudgementSchema, state.judgement, "judgement in state");
    if (judgement.episodeId !== episode.id) {
      const message = `is "${judgement.episodeId}" but the state's episode is "${episode.id}"; run the critic on this episode first`;
      throw new LessonloopError("invalid_input", `Invalid learner state — judgement.episodeId: ${message}.`, {
        details: { issues: [{ path: "judgement.episodeId", message }] },
      });
    }
    const now = clock.now().toISOString();
    const warnings: LearnerWarning[] = [];
    const warn = (warning: LearnerWarning) => {
      warnings.push(warning);
      onWarning(warning);
    };
    const edgeCases = deriveEdgeCase(episode, judgement, now);
    const nothing = { candidates: [], reinforcements: [], edgeCases, learnerWarnings: warnings, comparedAt: undefined };
    if (!judgement.worthLearning.learn) return nothing;

    const answer = await callStructured({
      model,
      schema: LearnerAnswerSchema,
      name: "propose_lessons",
      messages: learnerMessages(episode, judgement, { prompt, maxLessons, trajectory }),
      config,
    });
    if (!answer.ok) {
      warn({ kind: "proposal_failed", reason: answer.reason, episodeId: episode.id, message: answer.message, attempts: answer.attempts });
      return nothing;
    }

    const relationTo = comparator(episode.id, warn, config);

    // A request in the run to remember something is never a lesson by itself: drop candidates that only restate one.
    const flagged = flaggedRequests(episode, judgement);
    const evidence = flagged.length === 0 ? "" : runEvidence(judgement, flagged);
    const grounded = answer.value.lessons.filter((proposal) => {
      const restated = restatedRequest(proposal, flagged, evidence);
      if (restated === undefined) return true;
      const { field, flagged: request } = restated;
      warn({
        kind: "restates_memory_instruction",
        episodeId: episode.id,
        message:
          `Dropped the candidate ${quote(proposal.guidance, 160)}: its ${field} restates text in ${placeOf(request)} that addresses ` +
          `the agent's memory or instructions (${quote(request.text, 200)}), which nothing else in the run shows. ` +
          "A request to remember something is never a lesson by itself.",
        candidate: { trigger: proposal.trigger, guidance: proposal.guidance },
        flagged: request,
      });
      return false;
    });

    const candidates: Lesson[] = [];
    const reinforcements: Reinforcement[] = [];
    const touched = new Set<string>();
    const proposals = (await distinct(grounded)).slice(0, maxLessons);
    // One version for every comparison, so the merge can check again against what was merged after it.
    const comparedAt = await memory.headVersion();
    for (const proposal of proposals) {
      const scope: Scope = lessonScope(episode.scope, proposal.appliesTo, proposal.kind);
      const hits = await memory.search({ query: lessonSearchText(proposal), scope, k: COMPARED_LESSONS, version: comparedAt });
      let supersedes: Lesson | undefined;
      let reinforced: Reinforcement | undefined;
      let trigger = proposal.trigger;
      // An episode learned again (a journal replay after a crash between merge and "done") must not teach twice.
      if (hits.some(({ lesson: existing, score }) => score >= duplicateThreshold && existing.evidence.includes(episode.id))) continue;
      const near = await firstRelated(proposal, scope.tenant, hits, relationTo);
      if (near?.relation === "same" && missedBy(near.existing, episode, judgement)) {
        // The run failed without the lesson it needed: its trigger does not reach this situation, so widen it
        // (or, past the size limit, add the lesson for this situation beside it).
        const widened = widenTrigger(near.existing.trigger, proposal.trigger);
        if (widened === near.existing.trigger) {
          // Its trigger names this situation already: the run missed it otherwise (it ran before the lesson was live).
          reinforced = { lessonId: near.existing.id, episodeId: episode.id, score: near.score };
        } else if (widened !== undefined) {
          supersedes = near.existing;
          trigger = widened;
        }
      } else if (near?.relation === "same") reinforced = { lessonId: near.existing.id, episodeId: episode.id, score: near.score };
      else if (near !== undefined) supersedes = near.existing;
      if (reinforced !== undefined) {
        // Two candidates confirming one lesson count once.
        if (!touched.has(reinforced.lessonId)) reinforcements.push(reinforced);
        touched.add(reinforced.lessonId);
        continue;
      }
      if (supersedes !== undefined && touched.has(supersedes.id)) continue;
      // Superseding retires the old lesson for its whole scope: only a lesson at least as wide may do that.
      const replaces = supersedes !== undefined && scopeContains(scope, supersedes.scope) ? supersedes : undefined;
      if (supersedes !== undefined) touched.add(supersedes.id);
      const proposedTools = anchoredTools(proposal.tools ?? [], episode);
      // A lesson widened to reach this situation keeps the tools the old one was about.
      const tools = replaces !== undefined && trigger !== proposal.trigger ? unionTools(proposedTools, replaces.tools) : proposedTools;
      const lesson = {
        id: ids(),
        trigger,
        guidance: proposal.guidance,
        rationale: proposal.rationale,
        kind: proposal.kind,
        scope,
        evidence: replaces === undefined ? [episode.id] : mergeEvidence(replaces.evidence, episode.id),
        provenance: { agent: agentName, model: provenanceModel, proposedAt: now },
        status: "proposed",
        supersedes: replaces === undefined ? [] : [replaces.id],
        tags: [],
        ...(tools === undefined ? {} : { tools }),
        createdAt: now,
      };
      candidates.push(parseWith(LessonSchema, lesson, "proposed lesson"));
    }
    return { candidates, reinforcements, edgeCases, learnerWarnings: warnings, comparedAt };
  }

  return Object.assign(learner, { nearDuplicateSince });
}
