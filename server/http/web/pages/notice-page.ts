import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";

/** A short confirmation after a form (deletion, report), with where to go next. */
export function noticePage(
  s: LayoutDeps,
  opts: { title: string; message: Html; back: { href: string; label: string } },
): string {
  const body = html`<section class="message-page notice-page" role="status">
<h1>${opts.title}</h1>
${opts.message}
<p class="back-links"><a href="${opts.back.href}">${opts.back.label}</a> · <a href="/">Home</a></p>
</section>`;
  return layout(s, { title: opts.title, body, bodyClass: "notice" });
}
