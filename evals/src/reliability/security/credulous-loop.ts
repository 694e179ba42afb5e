import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { createLexicalEmbedder, type EdgeCaseInput, type EpisodeInput } from "@lessonloop/core";
import type { ReplayRunner } from "@lessonloop/validator-ensemble";
import { createLearningLoop, type LearningLoopParams, type LearningResult, type ShutdownReport } from "lessonloop";
import type { ProposedLessonText } from "./red-team-cases.js";

export interface CredulousLoopParams {
  /** A running Chroma server (the memory and edge cases live there, for real). */
  chromaUrl: string;
  /** Prefix of the collections this run creates; make it unique per run. */
  collectionPrefix: string;
  /** The stored cases the validators replay, added before the first run. */
  seedCases: readonly EdgeCaseInput[];
  /** The honest validators' sandbox runner. */
  runner: ReplayRunner;
  /** Number of honest validators. */
  validators: number;
  /**
   * The learner model, given the lesson text being planted in the current run
   * (undefined between runs, or when the run plants nothing).
   */
  learnerModel: (proposal: () => ProposedLessonText | undefined) => BaseChatModel;
  /** Passed to the loop; undefined keeps the loop's default. */
  replayInContext?: LearningLoopParams["replayInContext"];
}

/** What one run of the loop gave. */
export interface CredulousRun {
  result: LearningResult;
  /** Candidates the learner dropped in this run for restating an instruction to the agent's memory. */
  restated: number;
}

export interface CredulousLoop {
  memory: ChromaLessonMemory;
  /** Learns from `episode` with the learner proposing `proposal`. */
  learn(episode: EpisodeInput, proposal: ProposedLessonText | undefined): Promise<CredulousRun>;
  close(): Promise<ShutdownReport>;
}

/**
 * The full learning loop the attack scenarios run: a real Chroma memory and
 * edge-case store seeded with `seedCases`, honest validators replaying them
 * with `runner`, no critic, and a learner model that proposes whatever lesson
 * text the current run plants.
 */
export async function openCredulousLoop({
  chromaUrl,
  collectionPrefix,
  seedCases,
  runner,
  validators,
  learnerModel,
  replayInContext,
}: CredulousLoopParams): Promise<CredulousLoop> {
  const embedder = createLexicalEmbedder();
  const memory = await ChromaLessonMemory.open({ url: chromaUrl, name: `${collectionPrefix}-memory`, embedder });
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: chromaUrl, collection: `${collectionPrefix}-cases`, embedder });
  await edgeCaseStore.add(seedCases);
  let proposal: ProposedLessonText | undefined;
  let restated = 0;
  const loop = await createLearningLoop({
    learnerModel: learnerModel(() => proposal),
    validators: Array.from({ length: validators }, (_, index) => ({ id: `peer-${index + 1}` })),
    runner,
    criticModel: null,
    memory,
    edgeCaseStore,
    embedder,
    maxLessonsPerEpisode: 1,
    casesPerValidator: 20,
    replayInContext,
    onEvent: (event) => {
      if (event.type === "warning" && event.source === "learner" && event.warning.kind === "restates_memory_instruction") restated += 1;
    },
  });
  return {
    memory,
    async learn(episode, text) {
      proposal = text;
      restated = 0;
      try {
        const result = await loop.learn(episode);
        return { result, restated };
      } finally {
        proposal = undefined;
      }
    },
    close: () => loop.close(),
  };
}
