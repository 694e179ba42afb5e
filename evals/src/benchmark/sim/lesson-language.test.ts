import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { directiveSlot, parseDirectives, renderDirective, renderDirectives, type Directive } from "./lesson-language.js";
import { arbitraryDirective } from "./testing/arbitrary-directives.js";

const directive = arbitraryDirective();

describe("lesson language", () => {
  it("parses back every directive it renders, alone and among other sentences", () => {
    fc.assert(
      fc.property(fc.array(directive, { minLength: 1, maxLength: 4 }), (directives) => {
        const text = `Lessons learned from past runs:\n1. When: something\n   Do: ${renderDirectives(directives)} Be careful.`;
        expect(parseDirectives(text)).toEqual(directives);
      }),
      { numRuns: 300 },
    );
  });

  it("renders readable English", () => {
    expect(renderDirective({ kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" })).toBe(
      'When calling create_invoice, send the field "amount_minor" instead of "amount".',
    );
    expect(renderDirective({ kind: "route_above", tool: "issue_refund", quantity: "amount", above: 100, instead: "request_manager_approval" })).toBe(
      "Before calling issue_refund: when the amount is above 100 EUR, call request_manager_approval instead.",
    );
    expect(renderDirective({ kind: "preference", aspect: "date_format", value: "DD.MM.YYYY" })).toBe("Write dates for this user like 24.11.2026 (DD.MM.YYYY).");
    expect(renderDirective({ kind: "scale_value", tool: "*", field: "amount", factor: 100 })).toBe('When calling any tool, multiply "amount" by 100 before sending it.');
  });

  it("understands nothing but directives: prose and malformed values change nothing", () => {
    expect(parseDirectives("Always double-check invoice amounts before sending them.")).toEqual([]);
    expect(parseDirectives('When calling ship_order, write "ship_date" in the format DD-MM-YY.')).toEqual([]);
    expect(parseDirectives('When calling Create-Invoice, send the field "a" instead of "b".')).toEqual([]);
  });

  it("gives conflicting directives the same slot", () => {
    const a: Directive = { kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 };
    const b: Directive = { kind: "scale_value", tool: "ship_order", field: "weight", factor: 100 };
    const c: Directive = { kind: "scale_value", tool: "ship_order", field: "price", factor: 100 };
    expect(directiveSlot(a)).toBe(directiveSlot(b));
    expect(directiveSlot(a)).not.toBe(directiveSlot(c));
  });
});
