import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { staticDir } from "../../paths.js";
import type { ThreadView } from "../../services/reader.js";
import { type Html, html } from "../web/html.js";

/** Changes with the script, so browsers may cache it for long (as the layout's own assets). */
const SCRIPT_VERSION = (() => {
  try {
    return createHash("sha1")
      .update(readFileSync(join(staticDir(), "live.js")))
      .digest("hex")
      .slice(0, 10);
  } catch {
    return "0";
  }
})();

/**
 * The thread page's Update line: without JavaScript a link that reloads the thread at the first
 * reply after the last one shown (`?since=`); with it, live.js follows the thread's event stream
 * and fills in the status.
 */
export function liveBar(view: ThreadView, where: "top" | "bottom"): Html {
  const { board, no } = view.state;
  const last = view.posts.at(-1)?.post.no ?? no;
  return html`<div class="live-bar live-${where}" data-events="/${board}/thread/${no}/events" data-last="${last}">[<a class="update-link" href="/${board}/thread/${no}?since=${last}">Update</a>] <span class="live-status" aria-live="polite"></span></div>`;
}

/** The live thread script, deferred like the layout's. */
export function liveScript(): Html {
  return html`<script src="/static/live.js?v=${SCRIPT_VERSION}" defer></script>`;
}
