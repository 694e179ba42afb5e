import { z } from "zod";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";

/**
 * An immutable version of shared memory. Version 0 is the empty memory; every
 * commit and every rollback appends the next version, so history only grows.
 */
export const SnapshotSchema = z
  .object({
    version: VersionSchema,
    /** The version that was live before this one (`null` only for version 0). */
    parent: VersionSchema.nullable(),
    kind: z.enum(["genesis", "commit", "rollback"]),
    /** For a rollback: the version whose lessons became live again. */
    restores: VersionSchema.optional(),
    change: z
      .object({
        /** Lessons that became live with this version. */
        added: z.array(IdSchema),
        /** Lessons that stopped being live with this version. */
        retired: z.array(IdSchema),
      })
      .strict(),
    reason: z.string().max(4_000),
    author: z.string().min(1).max(200),
    createdAt: TimestampSchema,
  })
  .strict();
export type Snapshot = z.infer<typeof SnapshotSchema>;
