/** Markup that is already safe: built by `html`, never from outside text directly. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

/** Escapes text for HTML and SVG, in element content and in quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * Template tag for markup: every interpolated value is escaped unless it is
 * itself `SafeHtml`, so text from models (lesson texts, reasons) can never
 * become markup however the report is assembled. Arrays are joined; `null`,
 * `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, at) => {
    out += render(value) + (strings[at + 1] ?? "");
  });
  return new SafeHtml(out);
}
