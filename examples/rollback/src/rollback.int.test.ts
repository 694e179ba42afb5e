import { describe, expect, inject, it } from "vitest";
import "@lessonloop/chroma/testing";
import { runRollback } from "./rollback.js";

describe("rollback example", () => {
  it("reverts the acme lesson that hurts, alone, after later globex merges, and leaves globex as it was", async () => {
    const lines: string[] = [];
    const result = await runRollback({ chromaUrl: inject("chromaUrl"), print: (line) => lines.push(line) });

    // acme's lesson passed validation and was merged; globex's two lessons merged on top of it.
    expect(result.rejected).toEqual([]);
    expect(result.merges.map(({ lesson, tenant, snapshot }) => [lesson, tenant, snapshot.version])).toEqual([
      ["refund-at-once", "acme", 2],
      ["globex-damaged-refund", "globex", 3],
      ["globex-gift-wrap", "globex", 4],
    ]);

    // One revert, by the monitor, of the acme lesson alone, in acme's scope, after the globex merges — not a rollback.
    expect(result.reverts).toHaveLength(1);
    const [revert] = result.reverts;
    expect(revert?.lesson).toBe("refund-at-once");
    expect(revert?.merged).toBe(2);
    expect(revert?.snapshot).toMatchObject({ version: 5, parent: 4, kind: "revert", scope: { tenant: "acme" }, author: "regression-monitor", change: { added: [], retired: ["refund-at-once"] } });
    expect(result.servedBeforeRevert).toBe(20);

    // The typed evidence on the revert's snapshot names the lesson and carries the comparison that triggered it.
    const evidence = revert?.evidence;
    expect(evidence).toMatchObject({
      lessons: ["refund-at-once"],
      scope: { tenant: "acme" },
      test: "fisher-exact-one-sided",
      decision: "regressed",
      look: 0,
      before: { version: 1, successes: 35, episodes: 40 },
      after: { version: 2, successes: 5, episodes: 20 },
    });
    expect(evidence?.pValue).toBeLessThanOrEqual(evidence?.lookAlpha ?? 0);

    // acme's lesson is retired; globex's lessons are live at head (the revert is the last version), exactly as before the revert.
    expect(result.head).toBe(5);
    expect(result.liveLessons.acme).toEqual({ beforeRevert: ["gift-wrap-note", "refund-at-once"], afterRevert: ["gift-wrap-note"], atEnd: ["gift-wrap-note"] });
    const globexLessons = ["globex-damaged-refund", "globex-gift-wrap"];
    expect(result.liveLessons.globex).toEqual({ beforeRevert: globexLessons, afterRevert: globexLessons, atEnd: globexLessons });

    // The same requests on v4 and v5: acme's answers change (the probe can see a change), globex's do not.
    const probe = result.probe;
    expect(probe?.acme.beforeRevert.answers.map((answer) => answer.action)).toEqual(["issue_refund", "issue_refund", "issue_refund", "issue_refund"]);
    expect(probe?.acme.afterRevert.answers.map((answer) => answer.action)).toEqual(["request_return", "request_return", "request_return", "request_return"]);
    expect(probe?.globex.afterRevert.answers).toEqual(probe?.globex.beforeRevert.answers);
    expect(probe?.globex.afterRevert.answers.flatMap((answer) => answer.served)).toEqual(expect.arrayContaining(["globex-damaged-refund", "globex-gift-wrap"]));
    expect(probe?.globex.afterRevert.successChance).toBe(probe?.globex.beforeRevert.successChance);
    expect(probe?.globex.afterRevert.successChance).toBeCloseTo(0.85);

    // Live success: acme drops while served its lesson and recovers after the revert; globex's rose as its lessons merged and held after the revert.
    const { acme, globex } = result.rates;
    expect([acme.beforeMerge, acme.beforeRevert, acme.afterRevert].map((rate) => [rate.successes, rate.episodes])).toEqual([[35, 40], [5, 20], [17, 20]]);
    expect([globex.beforeMerge, globex.byVersion.get(4), globex.afterRevert].map((rate) => [rate?.successes, rate?.episodes])).toEqual([[19, 40], [9, 11], [18, 21]]);
    expect(result.episodes.filter((episode) => episode.tenant === "globex").some((episode) => episode.served.includes("refund-at-once"))).toBe(false);

    const report = lines.join("\n");
    expect(report).toContain("regression monitor reverted refund-at-once (acme), merged at v2, as v5");
    expect(report).toMatch(/v5 {2}revert \(acme\) .* regression-monitor/);
    expect(report).toContain("evidence: lessons [refund-at-once] in acme: before v2 35/40 (88%) → served it 5/20 (25%)");
    expect(report).toContain("globex: live lessons globex-damaged-refund, globex-gift-wrap → globex-damaged-refund, globex-gift-wrap  (unchanged)");
    expect(report).toContain("its 8 fixed requests on v4 and on v5: the same lessons served, the same actions, success chance 85% → 85%");
    expect(report).not.toMatch(/rollback→/);
  });
});
