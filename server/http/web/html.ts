import { stripFormatChars } from "../../domain/format-chars.js";
import { escapeHtml } from "../../domain/markup.js";

/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already `Html`
 * (the output of another template, or markup rendered by the markup module). There is no other way
 * to put text into a page, so user text cannot reach a page unescaped. Nor can it bring format
 * characters that turn the page's text around (domain/format-chars.ts): they are removed here, so
 * what was stored before they were refused at intake is shown clean too.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export { escapeHtml };

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(stripFormatChars(String(value)));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolation) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** Marks trusted markup (rendered and escaped by the markup module) as HTML, without format characters. */
export function trusted(markup: string): Html {
  return new Html(stripFormatChars(markup));
}
