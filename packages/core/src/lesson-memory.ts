import { z } from "zod";
import { IdSchema, VersionSchema } from "./ids.js";
import { LessonKindSchema, LessonSchema, ToolNameSchema, type Lesson } from "./lesson.js";
import { ScopeSchema } from "./scope.js";
import { SnapshotEvidenceSchema, type Snapshot } from "./snapshot.js";

/** Longest query text a search accepts; longer input is a caller bug, not a search. */
export const MAX_QUERY_LENGTH = 20_000;
/** Most tool names one search may name. */
export const MAX_SEARCH_TOOLS = 256;
/** Most lessons one commit may add or retire. */
export const MAX_LESSONS_PER_COMMIT = 5_000;

const authorship = {
  /**
   * Write only if this is still the live version; otherwise fail with
   * `conflict`. Lets a caller that decided on what it saw (a regression
   * monitor, an operator) avoid undoing a version it never looked at.
   */
  expectedHead: VersionSchema.optional(),
  /** Why this version exists, shown in history. */
  reason: z.string().trim().min(1, "must say why").max(4_000),
  /** Who made it: a user, an agent, `regression-monitor` … */
  author: z.string().trim().min(1, "must not be empty").max(200),
};

export const CommitRequestSchema = z
  .object({
    /** Lessons that become live. Their `supersedes` are retired in the same commit. */
    add: z.array(LessonSchema).max(MAX_LESSONS_PER_COMMIT).default([]),
    /** Ids of live lessons that stop being live. */
    retire: z.array(IdSchema).max(MAX_LESSONS_PER_COMMIT).default([]),
    ...authorship,
  })
  .strict();
export type CommitRequest = z.input<typeof CommitRequestSchema>;

export const RollbackRequestSchema = z
  .object({
    /** The earlier version whose lessons become live again. */
    to: VersionSchema,
    /**
     * Roll back only the lessons within this scope (its tenant, and its
     * user/agent when given): their live set becomes what it was at `to`; every
     * other lesson stays as it is. Without it, all of memory rolls back.
     */
    scope: ScopeSchema.optional(),
    /** For an automatic rollback: the comparison that triggered it. */
    evidence: SnapshotEvidenceSchema.optional(),
    ...authorship,
  })
  .strict();
export type RollbackRequest = z.input<typeof RollbackRequestSchema>;

export const RevertRequestSchema = z
  .object({
    /** Live lessons to take out; what each superseded when it was merged becomes live again. */
    lessons: z.array(IdSchema).min(1, "must name at least one lesson").max(MAX_LESSONS_PER_COMMIT),
    /** Refuse (`out_of_scope`) unless every lesson changed lies within this scope. */
    scope: ScopeSchema.optional(),
    /** For an automatic revert: the comparison that triggered it. */
    evidence: SnapshotEvidenceSchema.optional(),
    ...authorship,
  })
  .strict();
export type RevertRequest = z.input<typeof RevertRequestSchema>;

export const LessonSearchRequestSchema = z
  .object({
    /** The task or message the lessons should apply to. */
    query: z.string().trim().min(1, "must not be empty").max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`),
    /** The scope of the request: lessons of this tenant that apply to this user and agent. */
    scope: ScopeSchema,
    k: z.number().int().min(1).max(100).default(5),
    /** Search memory as it was at this version; the live version when omitted. */
    version: VersionSchema.optional(),
    kinds: z.array(LessonKindSchema).min(1).optional(),
    /**
     * The tools available to the agent: lessons anchored to any of them (their
     * `tools`) are returned as well, at most `k` of them nearest first, beside the
     * `k` nearest, whatever their score — under the same scope, version and kinds.
     */
    tools: z.array(ToolNameSchema).max(MAX_SEARCH_TOOLS).optional(),
  })
  .strict();
export type LessonSearchRequest = z.input<typeof LessonSearchRequestSchema>;

export const LessonListRequestSchema = z
  .object({
    /** Only lessons within this scope (its tenant, and its user/agent when given). */
    scope: ScopeSchema.optional(),
    version: VersionSchema.optional(),
  })
  .strict();
export type LessonListRequest = z.input<typeof LessonListRequestSchema>;

export const HistoryRequestSchema = z
  .object({
    /** Newest first; at most this many. */
    limit: z.number().int().min(1).max(10_000).default(50),
    /** Only versions older than this one, for paging. */
    before: VersionSchema.optional(),
  })
  .strict();
export type HistoryRequest = z.input<typeof HistoryRequestSchema>;

export const DiffOptionsSchema = z
  .object({
    /** Only lessons within this scope (its tenant, and its user/agent when given), as `list` filters. */
    scope: ScopeSchema.optional(),
  })
  .strict();
export type DiffOptions = z.input<typeof DiffOptionsSchema>;

export interface ScoredLesson {
  lesson: Lesson;
  /** Cosine similarity between the query and the lesson's trigger and guidance. */
  score: number;
}

export interface SnapshotDiff {
  from: number;
  to: number;
  /** Live at `to` but not at `from`. */
  added: Lesson[];
  /** Live at `from` but not at `to`. */
  removed: Lesson[];
}

/**
 * Versioned shared memory of merged lessons. Every commit and every rollback
 * appends an immutable snapshot; any version can be read (time travel); a
 * reader never sees half a commit. Lessons read back carry status `approved`.
 */
export interface LessonMemory {
  /** The live version. */
  headVersion(): Promise<number>;
  commit(request: CommitRequest): Promise<Snapshot>;
  /**
   * Makes an earlier version's lessons live again, as a new version — all of
   * them, or with `scope` only those within it. Nothing is deleted.
   */
  rollback(request: RollbackRequest): Promise<Snapshot>;
  /**
   * Takes the named live lessons out, as a new version, and makes live again
   * what they superseded; later changes stay (as `git revert` undoes one
   * commit). A lesson that is not live is `not_found`, one outside `scope`
   * is `out_of_scope`; either way nothing changes.
   */
  revert(request: RevertRequest): Promise<Snapshot>;
  /**
   * The lessons live at the version that apply to the scope, most relevant
   * first: the `k` nearest, and with `tools` also up to `k` anchored to them.
   */
  search(request: LessonSearchRequest): Promise<ScoredLesson[]>;
  /** Every lesson live at the version, optionally within a scope. */
  list(request?: LessonListRequest): Promise<Lesson[]>;
  /** A lesson live at the version; `not_found` otherwise. */
  get(id: string, options?: { version?: number }): Promise<Lesson>;
  snapshot(version: number): Promise<Snapshot>;
  history(request?: HistoryRequest): Promise<Snapshot[]>;
  /** What changed between two versions; with `scope`, only the lessons within it (a tenant's view). */
  diff(from: number, to: number, options?: DiffOptions): Promise<SnapshotDiff>;
}
