import { z } from "zod";

/**
 * A memory's name on Chroma. Its collections are named after it:
 * `<name>-lessons`, `<name>-snapshots`, `<name>-changes`, `<name>-edge-cases`,
 * `<name>-verdicts`, `<name>-pending`, `<name>-outcomes` and `<name>-examples`.
 */
export const MemoryNameSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(400, "must be at most 400 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/, "may hold only letters, digits and . _ - and must start and end with a letter or digit");
