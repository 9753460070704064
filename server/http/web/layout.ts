import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Board } from "../../domain/board.js";
import { staticDir } from "../../paths.js";
import type { Services } from "../../services/container.js";
import { boardActorUrl } from "../../services/urls.js";
import { type Html, html } from "./html.js";

/** What the header's board list needs of a board. */
export type NavBoard = Pick<Board, "uri" | "title">;

/** The boards the header lists: the reader's last snapshot, refreshed in the background when stale. */
function knownBoards(s: Pick<Services, "reader">): readonly NavBoard[] {
  return s.reader.knownBoards();
}

/** The instance's display name. */
export function instanceName(s: Pick<Services, "config">): string {
  return s.config.instanceName;
}

/** The optional poster tools and the in-place video player, each its own deferred script after app.js. */
const UI_SCRIPTS = ["ui.js", "watcher.js", "quick-reply.js", "video.js"] as const;

/** A query suffix that changes with the static files, so browsers may cache them for long. */
const ASSET_VERSION = (() => {
  try {
    const h = createHash("sha1");
    for (const f of ["style.css", "app.js", "theme.js", ...UI_SCRIPTS]) h.update(readFileSync(join(staticDir(), f)));
    return h.digest("hex").slice(0, 10);
  } catch {
    return "0";
  }
})();

/** What the frame of every page reads: the instance's name and addresses, and the board list. */
export type LayoutDeps = Pick<Services, "config" | "reader">;

export interface LayoutOptions {
  title: string;
  body: Html;
  board?: Board;
  description?: string;
  bodyClass?: string;
  /** The header's board list; defaults to the instance's last known list. */
  boards?: readonly NavBoard[];
  /**
   * Other forms of the page (`<link rel="alternate">`): its ActivityPub twin, its feed. Defaults,
   * on a board's pages, to the board's `Group` actor and its feed of new threads.
   */
  alternates?: readonly Alternate[];
}

export interface Alternate {
  type: "application/activity+json" | "application/rss+xml";
  href: string;
  title?: string;
}

/** A board page's alternates: the board's `Group` and its feed of new threads. */
export function boardAlternates(publicUrl: string, board: Pick<Board, "uri" | "title">): Alternate[] {
  return [
    { type: "application/activity+json", href: boardActorUrl(publicUrl, board.uri) },
    {
      type: "application/rss+xml",
      href: `${publicUrl}/${board.uri}/index.rss`,
      title: `/${board.uri}/ - ${board.title}`,
    },
  ];
}

/** The whole HTML document around a page body. Identical for every reader, so pages can be cached. */
export function layout(s: LayoutDeps, opts: LayoutOptions): string {
  const name = instanceName(s);
  const boards = opts.boards ?? knownBoards(s);
  const current = opts.board?.uri;
  const alternates = opts.alternates ?? (opts.board ? boardAlternates(s.config.publicUrl, opts.board) : []);
  const links = alternates.map(
    (a) => html`<link rel="alternate" type="${a.type}" href="${a.href}"${a.title ? html` title="${a.title}"` : ""}>
`,
  );
  const nav = boards.map(
    (b, i) =>
      html`${i > 0 ? " / " : ""}<a href="/${b.uri}/" title="${b.title}"${b.uri === current ? html` aria-current="page"` : ""}>${b.uri}</a>`,
  );
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${opts.title} - ${name}</title>
${opts.description ? html`<meta name="description" content="${opts.description}">` : ""}
<link rel="stylesheet" href="/static/style.css?v=${ASSET_VERSION}">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
${links}
<script src="/static/theme.js?v=${ASSET_VERSION}"></script>
<script src="/static/app.js?v=${ASSET_VERSION}" defer></script>
${UI_SCRIPTS.map(
  (f) => html`<script src="/static/${f}?v=${ASSET_VERSION}" defer></script>
`,
)}</head>
<body class="${opts.bodyClass ?? ""}" data-media-url="${s.config.mediaUrl}"${current ? html` data-board="${current}"` : ""}>
<header class="site-header">
<a class="site-name" href="/">${name}</a>
<nav class="board-nav" aria-label="Boards">${boards.length > 0 ? html`<span class="bracket">[</span>${nav}<span class="bracket">]</span>` : ""}</nav>
<nav class="site-links" aria-label="Site">
<a href="/">Home</a>
<a href="/overboard">Overboard</a>
<a href="/search">Search</a>
<a href="/about">About</a>
<button type="button" class="theme-toggle" hidden aria-label="Switch colour theme" title="Switch colour theme">Theme</button>
</nav>
</header>
<main id="top">
${opts.body}
</main>
<footer class="site-footer">
<p><a href="/">${name}</a> · <a href="/about">About</a> · <a href="/about/moderation">Rules and moderation</a> · <a href="/boards.json">API</a></p>
<p class="software">Powered by Atoll, a federated imageboard.</p>
</footer>
</body>
</html>
`;
  return doc.value;
}
