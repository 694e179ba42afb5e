import { createSeededRandom } from "@lessonloop/core/testing";
import type { SeededMemory } from "./hot-path.js";
import { lesson } from "./lesson-corpus.js";
import { latency, round, settle, timed } from "./machine-probe.js";
import type { SnapshotSize } from "./perf-results.js";

export interface SnapshotParams {
  seeded: readonly SeededMemory[];
  serverPid: number | undefined;
  repeats: number;
  /** Merge-and-rollback pairs per size in each repeat. */
  pairs: number;
}

/**
 * Section 3: a one-lesson commit and its rollback, repeated on every memory in
 * turn (sizes interleaved, so background work and load fall on each alike).
 * A rollback appends one snapshot whatever the memory's size.
 */
export async function measureSnapshots({ seeded, serverPid, repeats, pairs }: SnapshotParams): Promise<{ sizes: SnapshotSize[]; rollbackRatio: number }> {
  await settle(serverPid);
  const random = createSeededRandom(7);
  const commits = seeded.map(() => [] as number[][]);
  const rollbacks = seeded.map(() => [] as number[][]);
  let next = 0;
  for (let repeat = 0; repeat < repeats; repeat++) {
    seeded.forEach((_, index) => {
      commits[index]?.push([]);
      rollbacks[index]?.push([]);
    });
    for (let pair = 0; pair < pairs + 2; pair++) {
      for (const [index, { memory }] of seeded.entries()) {
        const added = lesson(random, 0);
        const [snapshot, commitMs] = await timed(() =>
          memory.commit({ add: [{ ...added, id: `merged-${next++}` }], reason: "one merge", author: "perf" }),
        );
        const [restored, rollbackMs] = await timed(() => memory.rollback({ to: snapshot.parent ?? 0, reason: "undo the merge", author: "perf" }));
        if (restored.change.retired.length !== 1) throw new Error(`rollback retired ${restored.change.retired.length} lessons, expected 1`);
        // The first two pairs of each repeat warm the path up.
        if (pair < 2) continue;
        commits[index]?.at(-1)?.push(commitMs);
        rollbacks[index]?.at(-1)?.push(rollbackMs);
      }
    }
  }
  const sizes = seeded.map(({ size }, index) => ({ lessons: size, commitOne: latency(commits[index] ?? []), rollback: latency(rollbacks[index] ?? []) }));
  const smallest = sizes[0]?.rollback.p50.median ?? Number.NaN;
  const largest = sizes.at(-1)?.rollback.p50.median ?? Number.NaN;
  return { sizes, rollbackRatio: round(largest / smallest) };
}
