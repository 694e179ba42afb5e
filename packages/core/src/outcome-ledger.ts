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

/** Which runs to count: every condition given must hold. */
export interface OutcomeQuery {
  /** Only runs within this scope (its tenant, and its user/agent when given). */
  scope?: Scope;
  /** Only runs that were served this lesson. */
  served?: string;
  /** Only runs that were served none of these lessons. */
  notServed?: readonly string[];
  /** Only runs served from a memory version below this one. */
  beforeVersion?: number;
}

/** How the runs a query matched ended. */
export interface OutcomeCounts {
  successes: number;
  failures: number;
  unknown: number;
}

/**
 * Where outcomes are credited: to lessons (their proven utility, used in
 * ranking and judged by the regression monitor) and to memory versions. It
 * also keeps the regression monitor's looks, so a restarted monitor resumes
 * where it stopped.
 */
export interface OutcomeLedger {
  /** Records one outcome; recording the same episode again replaces it. */
  record(outcome: OutcomeRecordInput): Promise<void>;
  /** Utility of each lesson id asked for; lessons never served get zeros. */
  lessonUtility(lessonIds: readonly string[]): Promise<Map<string, LessonUtility>>;
  /** Outcomes of runs served from `version`, optionally only those within `scope`. */
  versionOutcomes(version: number, scope?: Scope): Promise<VersionOutcomes>;
  /** Outcomes of the runs that match every condition of `query` (all runs for `{}`). */
  countOutcomes(query: OutcomeQuery): Promise<OutcomeCounts>;
  /** The last look the regression monitor took at each key asked for (a lesson id); keys never looked at are absent. */
  looks(keys: readonly string[]): Promise<Map<string, number>>;
  /** Stores the last look taken at `key`, replacing the one before. */
  saveLook(key: string, look: number): Promise<void>;
}

/** Whether `record` is one of the runs `query` asks for. */
export function outcomeMatches(record: OutcomeRecord, query: OutcomeQuery): boolean {
  if (query.scope !== undefined && !scopeContains(query.scope, record.scope)) return false;
  if (query.beforeVersion !== undefined && record.memoryVersion >= query.beforeVersion) return false;
  if (query.served !== undefined && !record.servedLessons.includes(query.served)) return false;
  if (query.notServed !== undefined && query.notServed.length > 0 && record.servedLessons.some((id) => query.notServed?.includes(id))) return false;
  return true;
}

const LookKeySchema = IdSchema;
const LookSchema = z.number().int().min(0);

/** A look key and look, checked as every ledger checks them. */
export function parseLook(key: string, look: number): { key: string; look: number } {
  return { key: parseWith(LookKeySchema, key, "look key"), look: parseWith(LookSchema, look, "look") };
}

/** An `OutcomeLedger` in this process's memory. */
export class InMemoryOutcomeLedger implements OutcomeLedger {
  readonly #byEpisode = new Map<string, OutcomeRecord>();
  readonly #looks = new Map<string, number>();

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

  async countOutcomes(query: OutcomeQuery): Promise<OutcomeCounts> {
    const counts: OutcomeCounts = { successes: 0, failures: 0, unknown: 0 };
    for (const record of this.#byEpisode.values()) {
      if (!outcomeMatches(record, query)) continue;
      if (record.status === "success") counts.successes++;
      else if (record.status === "failure") counts.failures++;
      else counts.unknown++;
    }
    return counts;
  }

  async looks(keys: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const key of keys) {
      const look = this.#looks.get(key);
      if (look !== undefined) found.set(key, look);
    }
    return found;
  }

  async saveLook(key: string, look: number): Promise<void> {
    const parsed = parseLook(key, look);
    this.#looks.set(parsed.key, parsed.look);
  }
}
