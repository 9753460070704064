import type { Board } from "../../../domain/board.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";

/**
 * A short confirmation after a form (deletion, report), with where to go next: a normal page with the
 * board in its header, the result in a notice box within it.
 */
export function noticePage(
  s: LayoutDeps,
  opts: { title: string; message: Html; back: { href: string; label: string }; board?: Board },
): string {
  const body = html`<section class="message-page notice-page">
<h1>${opts.title}</h1>
<div class="notice" role="status">
${opts.message}
</div>
<p class="back-links"><a href="${opts.back.href}">${opts.back.label}</a> · <a href="/">Home</a></p>
</section>`;
  return layout(s, {
    title: opts.title,
    body,
    bodyClass: "notice-result",
    ...(opts.board ? { board: opts.board } : {}),
  });
}
