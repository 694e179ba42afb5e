import { z } from "zod";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { ScopeSchema } from "./scope.js";

const TallySchema = z
  .object({
    version: VersionSchema,
    successes: z.number().int().min(0),
    failures: z.number().int().min(0),
    unknown: z.number().int().min(0),
    episodes: z.number().int().min(0),
    rate: z.number().min(0).max(1).nullable(),
  })
  .strict();

/**
 * Why an automatic undo was made: the comparison of runs that triggered it.
 * Written by the regression monitor on the snapshot it appends.
 */
export const SnapshotEvidenceSchema = z
  .object({
    /** `"fisher-exact-one-sided"`: the p-value is the hypergeometric lower tail of the judged side's successes. */
    test: z.literal("fisher-exact-one-sided"),
    /** Runs served before the change that was judged. */
    before: TallySchema,
    /** Runs served with it. */
    after: TallySchema,
    /** `before.rate - after.rate`; `null` when a side has no runs. */
    drop: z.number().nullable(),
    pValue: z.number().min(0).max(1).nullable(),
    /** Which look this was (0, 1, …) and the level it tested at. */
    look: z.number().int().min(0),
    lookAlpha: z.number().gt(0).lt(1),
    /** The runs compared: those within this scope, or every run when absent. */
    scope: ScopeSchema.optional(),
    thresholds: z.object({ alpha: z.number().gt(0).lt(1), minEpisodes: z.number().int().min(1), minDrop: z.number().min(0).max(1) }).strict(),
    decision: z.enum(["too_few_episodes", "drop_too_small", "not_significant", "regressed"]),
    /** The lessons the undo took out of memory. */
    lessons: z.array(IdSchema).max(5_000),
  })
  .strict();
export type SnapshotEvidence = z.infer<typeof SnapshotEvidenceSchema>;

/**
 * An immutable version of shared memory. Version 0 is the empty memory; every
 * commit, revert and rollback appends the next version, so history only grows.
 */
export const SnapshotSchema = z
  .object({
    version: VersionSchema,
    /** The version that was live before this one (`null` only for version 0). */
    parent: VersionSchema.nullable(),
    /** `revert`: named lessons retired, what they superseded live again; later changes stay. */
    kind: z.enum(["genesis", "commit", "rollback", "revert"]),
    /** For a rollback: the version whose lessons became live again (within `scope` when it has one). */
    restores: VersionSchema.optional(),
    /** For a rollback or revert restricted to a scope: only lessons within it changed. */
    scope: ScopeSchema.optional(),
    change: z
      .object({
        /** Lessons that became live with this version. */
        added: z.array(IdSchema),
        /** Lessons that stopped being live with this version. */
        retired: z.array(IdSchema),
      })
      .strict(),
    /** Prose: why this version exists. */
    reason: z.string().max(4_000),
    author: z.string().min(1).max(200),
    /** For an automatic undo: the comparison that triggered it. */
    evidence: SnapshotEvidenceSchema.optional(),
    createdAt: TimestampSchema,
  })
  .strict();
export type Snapshot = z.infer<typeof SnapshotSchema>;
