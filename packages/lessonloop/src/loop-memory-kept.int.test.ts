// What a loop learns stays learned: by default the embedded server keeps the memory in
// ./.lessonloop of the working directory, a second process finds it, and `lessonloop` run there
// reads it with no flags — starting its own server on the folder, or through the running one.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listedLessonIds, runKeptMemoryScript, runLessonloopCli } from "./tests/kept-memory-harness.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "lessonloop-kept-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the default memory folder", () => {
  it("keeps what one process learned for the next process and for the CLI, with no flags", { timeout: 180_000 }, async () => {
    const first = runKeptMemoryScript("learn", work);
    const learned = await first.printed;
    expect(await first.exited).toBe(0);
    expect(learned.path).toBe(join(work, ".lessonloop"));
    expect(learned.lessons).toHaveLength(1);
    // Said once at start, where the memory is kept.
    expect(first.stdout().match(/memory kept in/g)).toHaveLength(1);
    expect(first.stdout()).toContain(`[lessonloop] memory kept in ${join(work, ".lessonloop")}`);
    expect(existsSync(join(work, ".lessonloop"))).toBe(true);

    // A restart: the lesson is still there, and served for the task it was learned on.
    const second = runKeptMemoryScript("count", work);
    const restarted = await second.printed;
    expect(restarted.lessons).toEqual(learned.lessons);
    expect(restarted.openToFirstLessonMs).toBeGreaterThanOrEqual(0);
    expect(await second.exited).toBe(0);

    // The CLI with no --chroma-url and no CHROMA_URL starts its own server on the folder.
    const listed = await runLessonloopCli(["list", "--json"], work);
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect(listedLessonIds(listed.stdout)).toEqual(learned.lessons);

    // While a loop holds the folder, the CLI reads through that loop's server instead of failing on the lock.
    const holder = runKeptMemoryScript("hold", work);
    try {
      const held = await holder.printed;
      expect(held.lessons).toEqual(learned.lessons);
      const through = await runLessonloopCli(["list", "--json"], work);
      expect(through.stderr).toBe("");
      expect(listedLessonIds(through.stdout)).toEqual(learned.lessons);
      // The CLI left the holder's server running.
      const heartbeat = await fetch(`${held.url}/api/v2/heartbeat`);
      expect(heartbeat.ok).toBe(true);
    } finally {
      holder.child.kill("SIGTERM");
      expect(await holder.exited).toBe(0);
    }
  });

  it("says where it looked when the working directory has no memory", async () => {
    const empty = await mkdtemp(join(tmpdir(), "lessonloop-none-"));
    try {
      const result = await runLessonloopCli(["list"], empty);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`No memory here: ${join(empty, ".lessonloop")} does not exist`);
      expect(result.stderr).toMatch(/--chroma-url/);
      expect(existsSync(join(empty, ".lessonloop"))).toBe(false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
