// The regression monitor on the embedded default's stores: its ledger and looks live in Chroma, so a restart keeps monitoring.
import { openChromaStores } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createSeededRandom } from "@lessonloop/core/testing";
import { createRegressionMonitor, type RegressionCheck } from "@lessonloop/regression-monitor";
import { describe, expect, it } from "vitest";

const embedder = createLexicalEmbedder();
const acme: Scope = { tenant: "acme" };
const globex: Scope = { tenant: "globex" };

describe("the regression monitor across a restart", () => {
  it("resumes from the looks and outcomes in Chroma, and reverts the acme lesson alone after later globex merges", async () => {
    const name = uniqueCollectionName("monitor-restart");
    const random = createSeededRandom(41);
    let episode = 0;
    const outcome = (scope: Scope, memoryVersion: number, servedLessons: string[], rate: number) => ({
      episodeId: `e-${episode++}`,
      scope,
      memoryVersion,
      servedLessons,
      status: random.chance(rate) ? ("success" as const) : ("failure" as const),
      recordedAt: "2026-01-01T00:00:00.000Z",
    });

    const first = await openChromaStores({ url: testChromaUrl(), name, embedder });
    await first.memory.commit({ add: [lessonFixture("acme-base")], reason: "base", author: "tester" });
    await first.memory.commit({ add: [lessonFixture("acme-suspect")], reason: "suspect", author: "tester" });
    const monitor = createRegressionMonitor({ memory: first.memory, ledger: first.outcomes });
    for (let i = 0; i < 50; i++) await monitor.observe(outcome(acme, 1, ["acme-base"], 0.8));
    // The first look at 20 runs served the lesson: still fine, the look is spent.
    let check: RegressionCheck | undefined;
    for (let i = 0; i < 20; i++) check = await monitor.observe(outcome(acme, 2, ["acme-base", "acme-suspect"], 0.8));
    expect(check?.lessons.find((standing) => standing.lesson === "acme-suspect")?.reason).not.toBe("too_few_episodes");
    expect(check?.action).toBe("none");
    await first.close();

    // A new process: the same memory and ledger opened again, and a new monitor.
    const second = await openChromaStores({ url: testChromaUrl(), name, embedder });
    const restarted = createRegressionMonitor({ memory: second.memory, ledger: second.outcomes });
    expect((await restarted.check()).lessons.find((standing) => standing.lesson === "acme-suspect")).toMatchObject({ reason: "awaiting_next_look", episodes: 20, nextLookAt: 40 });

    // Globex merges twice on top; then acme's runs served the suspect lesson collapse.
    await second.memory.commit({ add: [lessonFixture("globex-one", { scope: globex })], reason: "globex", author: "tester" });
    await second.memory.commit({ add: [lessonFixture("globex-two", { scope: globex })], reason: "globex", author: "tester" });
    const reverts: string[] = [];
    for (let i = 0; i < 40 && reverts.length === 0; i++) {
      const checked = await restarted.observe(outcome(acme, 4, ["acme-base", "acme-suspect"], 0.2));
      if (checked.action === "reverted") reverts.push(checked.revert.lesson);
    }
    expect(reverts).toEqual(["acme-suspect"]);
    const live = (await second.memory.list()).map((lesson) => lesson.id).sort();
    expect(live).toEqual(["acme-base", "globex-one", "globex-two"]);
    const [head] = await second.memory.history({ limit: 1 });
    expect(head).toMatchObject({ kind: "revert", author: "regression-monitor", evidence: { lessons: ["acme-suspect"], look: 1, decision: "regressed" } });
    await second.close();
  }, 60_000);
});
