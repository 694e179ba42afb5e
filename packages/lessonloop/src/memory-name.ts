import { z } from "zod";

/**
 * A memory's name as `ChromaLessonMemory` accepts it; the memory's collections
 * (`<name>-lessons`, `<name>-snapshots`, `<name>-pending`, `<name>-verdicts`)
 * are named after it.
 */
export const MemoryNameSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(400, "must be at most 400 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/, "may hold only letters, digits and . _ - and must start and end with a letter or digit");
