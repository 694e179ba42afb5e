import { describe, expect, it } from "vitest";
import type { BenchmarkResults } from "../harness/results.js";
import { createFixtureResults } from "./fixture-results.js";
import { renderHtmlReport } from "./html-report.js";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

/** The fixture with hostile text wherever a model, an environment or a setting writes text. */
function hostileResults(): BenchmarkResults {
  const results = createFixtureResults({ episodes: 60 });
  results.parameters[HOSTILE] = HOSTILE;
  for (const environment of results.environments) {
    environment.description = HOSTILE;
    const [first] = environment.drifts;
    if (first !== undefined) first.change = HOSTILE;
    for (const strategy of environment.strategies) {
      for (const adaptation of strategy.summary.adaptation) {
        if (adaptation.driftAt === first?.at) adaptation.change = HOSTILE;
      }
      strategy.lessons.push({ at: 3, lessonId: HOSTILE, text: HOSTILE, scope: HOSTILE, grade: "incorrect", outcome: "merged", votes: HOSTILE });
      strategy.rollbacks.push({ at: 4, fromVersion: 2, toVersion: 1, reason: HOSTILE });
      strategy.regressions.push({ at: 4, lessonId: HOSTILE, probeTaskId: HOSTILE, reason: HOSTILE });
    }
  }
  return results;
}

describe("renderHtmlReport", () => {
  const results = createFixtureResults({ episodes: 120 });
  const page = renderHtmlReport({ results });

  it("is one self-contained page: no script, no external resource", () => {
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/@import|url\(|<link\b|<iframe\b|<object\b/i);
    // Links stay inside the page.
    for (const [, target] of page.matchAll(/href="([^"]*)"/g)) expect(target).toMatch(/^#env-/);
  });

  it("draws one SVG per chart: learning curves and memory size for each environment", () => {
    const svgs = page.match(/<svg\b[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(results.environments.length * 2);
    for (const environment of results.environments) {
      expect(page).toContain(`aria-label="${environment.name}: rolling success per strategy"`);
      expect(page).toContain(`aria-label="${environment.name}: memory size per strategy"`);
    }
    expect(page.match(/<\/svg>/g)).toHaveLength(svgs.length);
  });

  it("draws a line per strategy and a dashed marker per drift in each learning chart", () => {
    const charts = page.split("<svg").slice(1).map((chart) => chart.slice(0, chart.indexOf("</svg>")));
    results.environments.forEach((environment, at) => {
      const learning = charts[at * 2] ?? "";
      expect(learning.match(/<polyline/g)).toHaveLength(environment.strategies.length);
      expect(learning.match(/<g class="marker">/g)).toHaveLength(environment.drifts.length);
      for (const strategy of environment.strategies) expect(learning).toContain(`>${strategy.strategy}</text>`);
    });
  });

  it("has a summary table row for every strategy of every environment", () => {
    for (const environment of results.environments) {
      const section = page.slice(page.indexOf(`<section id="env-${environment.name}"`));
      const summary = section.slice(section.indexOf('<table class="summary">'), section.indexOf("</table>"));
      expect(summary.match(/<tr/g)).toHaveLength(environment.strategies.length + 1);
      for (const strategy of environment.strategies) {
        expect(summary).toContain(`</span>${strategy.strategy}</td>`);
        expect(summary).toContain(`${(strategy.summary.successRate * 100).toFixed(1)}%`);
      }
    }
  });

  it("escapes every text from models, environments and settings", () => {
    const hostile = renderHtmlReport({ results: hostileResults() });
    expect(hostile).not.toMatch(/<script/i);
    expect(hostile).not.toMatch(/<img/i);
    expect(hostile).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
    // Every quoted attribute still closes where it should: no raw quote leaked into one.
    expect(hostile).not.toMatch(/="[^"]*<[^"]*"/);
  });

  it("says when the data are a fixture", () => {
    expect(page).toContain("fixture data");
    const real = { ...results, parameters: { validators: 3 } };
    expect(renderHtmlReport({ results: real })).not.toContain("fixture data");
  });
});
