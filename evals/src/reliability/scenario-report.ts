import { z } from "zod";

/**
 * What one reliability scenario measured. Every scenario of `pnpm reliability`
 * (faults, concurrency, security) returns these, and `main.ts` prints and saves them.
 */
export const ScenarioReportSchema = z
  .object({
    /** Stable, kebab-case name, e.g. `chroma-restart` or `sigkill-commits`. */
    name: z.string().min(1),
    /** The figures, by name (`episodesLost`, `killsTried`, `p50CommitMs` …). */
    figures: z.record(z.string(), z.number()),
    /** Whether the scenario met its target (e.g. zero lost episodes). */
    passed: z.boolean(),
    /** Short lines a reader needs to judge the figures (parameters, load average, caveats). */
    notes: z.array(z.string()),
  })
  .strict();
export type ScenarioReport = z.infer<typeof ScenarioReportSchema>;

/** Prints a report as `pnpm reliability` shows it: the verdict, the figures, the notes. */
export function printScenarioReport(report: ScenarioReport): void {
  console.log(`\n${report.passed ? "PASS" : "FAIL"}  ${report.name}`);
  for (const [name, value] of Object.entries(report.figures)) console.log(`  ${name.padEnd(38)} ${value}`);
  for (const note of report.notes) console.log(`  · ${note}`);
}
