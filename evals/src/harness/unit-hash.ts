import { createHash } from "node:crypto";

/**
 * A number in [0, 1) fixed by its inputs: a random draw that does not depend
 * on the order things happen in, so concurrent replays stay reproducible.
 */
export function unitHash(...parts: ReadonlyArray<string | number>): number {
  const digest = createHash("sha256").update(parts.join("\u0000")).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}
