import { describe, expect, it } from "vitest";
import { LessonloopError } from "./errors.js";
import type { Snapshot } from "./snapshot.js";
import { SnapshotLog, subtractRanges } from "./snapshot-log.js";
import { createSeededRandom } from "./testing/seeded-random.js";

const T = "2026-01-01T00:00:00.000Z";

function commit(log: SnapshotLog, added: string[], retired: string[]): Snapshot {
  const snapshot: Snapshot = { version: log.head + 1, parent: log.head, kind: "commit", change: { added, retired }, reason: "r", author: "a", createdAt: T };
  log.append(snapshot);
  return snapshot;
}

function rollback(log: SnapshotLog, to: number): void {
  const { added, removed } = log.changeBetween(log.head, to);
  log.append({ version: log.head + 1, parent: log.head, kind: "rollback", restores: to, change: { added, retired: removed }, reason: "r", author: "a", createdAt: T });
}

function newLog(): SnapshotLog {
  const log = new SnapshotLog();
  log.append(SnapshotLog.genesis(T));
  return log;
}

describe("SnapshotLog", () => {
  it("agrees with a naive model of live sets over random commits, retirements and rollbacks", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = createSeededRandom(seed);
      const log = newLog();
      // The reference: the full live set of every version, copied each time.
      const live: Set<string>[] = [new Set()];
      let nextId = 0;
      for (let step = 0; step < 60; step++) {
        const head = live[log.head] as Set<string>;
        if (log.head > 0 && random.chance(0.25)) {
          const to = random.int(0, log.head - 1);
          rollback(log, to);
          live.push(new Set(live[to]));
          continue;
        }
        const added = Array.from({ length: random.int(0, 3) }, () => `l${nextId++}`);
        const retired = random.shuffle([...head]).slice(0, random.int(0, Math.min(2, head.size)));
        if (added.length + retired.length === 0) added.push(`l${nextId++}`);
        log.planCommit(added, retired);
        commit(log, added, retired);
        const next = new Set(head);
        for (const id of added) next.add(id);
        for (const id of retired) next.delete(id);
        live.push(next);
      }
      const every = Array.from({ length: nextId }, (_, index) => `l${index}`);
      for (let version = 0; version <= log.head; version++) {
        const expected = live[version] as Set<string>;
        expect(every.filter((id) => log.isLive(id, version)), `seed ${seed} version ${version}`).toEqual(every.filter((id) => expected.has(id)));
        const { retired } = log.visibility(version);
        for (const id of expected) expect(retired.has(id)).toBe(false);
      }
      for (let check = 0; check < 30; check++) {
        const from = random.int(0, log.head);
        const to = random.int(0, log.head);
        const change = log.changeBetween(from, to);
        const fromSet = live[from] as Set<string>;
        const toSet = live[to] as Set<string>;
        expect(change.added).toEqual([...toSet].filter((id) => !fromSet.has(id)).sort());
        expect(change.removed).toEqual([...fromSet].filter((id) => !toSet.has(id)).sort());
      }
    }
  });

  it("keeps a rollback's lineage as small as its target's", () => {
    const log = newLog();
    for (let index = 0; index < 1_000; index++) commit(log, [`l${index}`], []);
    rollback(log, 500);
    expect(log.lineage(log.head)).toEqual([[1, 500]]);
    commit(log, ["after"], []);
    expect(log.lineage(log.head)).toEqual([[1, 500], [1_002, 1_002]]);
  });

  it("subtracts version ranges", () => {
    expect(subtractRanges([[1, 10]], [[3, 4], [8, 12]])).toEqual([[1, 2], [5, 7]]);
    expect(subtractRanges([[1, 2], [5, 6]], [])).toEqual([[1, 2], [5, 6]]);
    expect(subtractRanges([[1, 2]], [[1, 2]])).toEqual([]);
  });

  it("rejects history that is not linear or skips a version", () => {
    const log = newLog();
    const gap = { version: 2, parent: 1, kind: "commit", change: { added: ["x"], retired: [] }, reason: "r", author: "a", createdAt: T } as const;
    expect(() => log.append({ ...gap, change: { added: ["x"], retired: [] } })).toThrow(/expected version 1/);
    try {
      log.append({ ...gap, version: 1, parent: 0, kind: "rollback", restores: 7, change: { added: [], retired: [] } });
      expect.unreachable();
    } catch (error) {
      expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    }
  });
});
