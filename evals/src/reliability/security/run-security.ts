/**
 * Runs the security scenarios alone and prints their reports as JSON lines:
 * `npx tsx --conditions=@lessonloop/source src/reliability/security/run-security.ts [--ci]`
 * from `evals/`. Uses `CHROMA_URL` when set, else starts an embedded Chroma server.
 */
import { startChroma } from "@lessonloop/chroma";
import { z } from "zod";
import { runSecurityScenarios } from "./index.js";

const args = z.array(z.enum(["--ci"])).parse(process.argv.slice(2));
const chromaUrl = z.url().optional().parse(process.env["CHROMA_URL"] || undefined);
const chroma = await startChroma(chromaUrl === undefined ? {} : { url: chromaUrl });
try {
  const reports = await runSecurityScenarios({
    chromaUrl: chroma.url,
    size: args.includes("--ci") ? "ci" : "full",
    onReport: (report) => console.log(JSON.stringify(report)),
  });
  console.log(`load average: ${(await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim()}`);
  process.exitCode = reports.every((report) => report.passed) ? 0 : 1;
} finally {
  await chroma.stop();
}
