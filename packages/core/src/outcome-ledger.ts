import { z } from "zod";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, scopeContains, type Scope } from "./scope.js";

/** What became of one agent run, credited to the memory version and lessons it used. */
export const OutcomeRecordSchema = z
  .object({
    episodeId: IdSchema,
    scope: ScopeSchema,
    /** The memory version the run was served from. */
    memoryVersion: VersionSchema,
    /** The lessons the replay-retriever put into the run's context. */
    servedLessons: z.array(IdSchema).max(100).default([]),
    status: z.enum(["success", "failure", "unknown"]),
    recordedAt: TimestampSchema,
  })
  .strict();
export type OutcomeRecord = z.infer<typeof OutcomeRecordSchema>;
export type OutcomeRecordInput = z.input<typeof OutcomeRecordSchema>;

/** How runs that were served a lesson ended. `unknown` outcomes count as served only. */
export interface LessonUtility {
  lessonId: string;
  served: number;
  successes: number;
  failures: number;
}

/** How runs served from one memory version ended. */
export interface VersionOutcomes {
  version: number;
  successes: number;
  failures: number;
  unknown: number;
}

/**
 * Where outcomes are credited: to lessons (their proven utility, used in
 * ranking) and to memory versions (what the regression monitor compares).
 */
export interface OutcomeLedger {
  /** Records one outcome; recording the same episode again replaces it. */
  record(outcome: OutcomeRecordInput): Promise<void>;
  /** Utility of each lesson id asked for; lessons never served get zeros. */
  lessonUtility(lessonIds: readonly string[]): Promise<Map<string, LessonUtility>>;
  /** Outcomes of runs served from `version`, optionally only those within `scope`. */
  versionOutcomes(version: number, scope?: Scope): Promise<VersionOutcomes>;
}

/** An `OutcomeLedger` in this process's memory. */
export class InMemoryOutcomeLedger implements OutcomeLedger {
  readonly #byEpisode = new Map<string, OutcomeRecord>();

  async record(outcome: OutcomeRecordInput): Promise<void> {
    const parsed = parseWith(OutcomeRecordSchema, outcome, "outcome record");
    this.#byEpisode.set(parsed.episodeId, parsed);
  }

  async lessonUtility(lessonIds: readonly string[]): Promise<Map<string, LessonUtility>> {
    const utility = new Map<string, LessonUtility>(lessonIds.map((lessonId) => [lessonId, { lessonId, served: 0, successes: 0, failures: 0 }]));
    for (const record of this.#byEpisode.values()) {
      for (const lessonId of record.servedLessons) {
        const entry = utility.get(lessonId);
        if (entry === undefined) continue;
        entry.served++;
        if (record.status === "success") entry.successes++;
        if (record.status === "failure") entry.failures++;
      }
    }
    return utility;
  }

  async versionOutcomes(version: number, scope?: Scope): Promise<VersionOutcomes> {
    const outcomes: VersionOutcomes = { version, successes: 0, failures: 0, unknown: 0 };
    for (const record of this.#byEpisode.values()) {
      if (record.memoryVersion !== version) continue;
      if (scope !== undefined && !scopeContains(scope, record.scope)) continue;
      if (record.status === "success") outcomes.successes++;
      else if (record.status === "failure") outcomes.failures++;
      else outcomes.unknown++;
    }
    return outcomes;
  }
}
