import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { startChroma } from "./chroma-server.js";

afterEach(() => vi.restoreAllMocks());

describe("startChroma's host", () => {
  it("warns that a server bound beyond loopback has no authentication; loopback is quiet", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));
    // A data folder that cannot be created (under a file): the start fails right after the host is judged, no server runs.
    const folder = await mkdtemp(join(tmpdir(), "lessonloop-host-"));
    onTestFinished(() => rm(folder, { recursive: true, force: true }));
    const file = join(folder, "a-file");
    await writeFile(file, "");
    const path = join(file, "data");
    for (const host of ["127.0.0.1", "localhost", "::1"]) {
      expect(LessonloopError.isInstance(await rejectionOf(startChroma({ host, path })), "server_start_failed"), host).toBe(true);
    }
    expect(warnings).toEqual([]);
    for (const host of ["0.0.0.0", "::", "192.168.1.20"]) {
      expect(LessonloopError.isInstance(await rejectionOf(startChroma({ host, path })), "server_start_failed"), host).toBe(true);
    }
    expect(warnings).toHaveLength(3);
    for (const warning of warnings) expect(warning).toMatch(/listens on .*, reachable from other machines, and has no authentication/);
  });
});
