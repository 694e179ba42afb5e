import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DATE_FORMATS } from "../environments/date-format.js";
import { directiveSlot, parseDirectives, renderDirective, renderDirectives, type Directive } from "./lesson-language.js";

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);
const tool = fc.oneof(name, fc.constant("*"));
const amount = fc.integer({ min: 1, max: 100_000 }).map((cents) => cents / 100);

const directive: fc.Arbitrary<Directive> = fc.oneof(
  fc.record({ kind: fc.constant("rename_field" as const), tool, from: name, to: name }),
  fc.record({ kind: fc.constant("scale_value" as const), tool, field: name, factor: fc.constantFrom(0.001, 0.1, 1.2, 100, 1000) }),
  fc.record({
    kind: fc.constant("include_param" as const),
    tool,
    param: name,
    value: fc.oneof(fc.stringMatching(/^[A-Za-z0-9@. _-]{1,20}$/), fc.boolean(), fc.integer({ min: -5, max: 500 })),
  }),
  fc.record({ kind: fc.constant("replace_tool" as const), from: name, to: name }),
  fc.record({ kind: fc.constant("format_field" as const), tool, field: name, format: fc.constantFrom(...DATE_FORMATS) }),
  fc.record({ kind: fc.constant("batch_calls" as const), tool: name, batchTool: name, param: name }),
  fc.record({
    kind: fc.constant("route_above" as const),
    tool,
    quantity: fc.constantFrom("amount" as const, "days_since_delivery" as const),
    above: amount,
    instead: name,
  }),
  fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("date_format" as const), value: fc.constantFrom(...DATE_FORMATS) }),
  fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("units" as const), value: fc.constantFrom("km" as const, "miles" as const) }),
  fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("greeting" as const), value: fc.constantFrom("Dear" as const, "Hi" as const, "Hello" as const) }),
  fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("confirm_above" as const), value: amount }),
);

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
