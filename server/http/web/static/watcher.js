// The thread watcher: threads this browser watches, kept in localStorage, listed in a small panel in
// a corner with their unread replies. Counts come from each board's catalog JSON, one conditional
// request per board every minute or so while the page is visible, less often while it is hidden.
(() => {
  const doc = document;
  const body = doc.body;
  const board = body.dataset.board || "";
  const KEY = "atoll-watched";
  const FOLD_KEY = "atoll-watcher-folded";
  /** The longest wait between checks while the page is hidden. */
  const MAX_HIDDEN_MS = 10 * 60 * 1000;
  const LABEL_LENGTH = 60;

  const settings = (() => {
    try {
      return JSON.parse(localStorage.getItem("atoll-settings") || "{}") || {};
    } catch {
      return {};
    }
  })();
  if (settings.watcher === false) return;
  // Whole seconds; the options panel keeps people at 10 or more.
  const intervalMs = Math.max(1, Number(settings.watchInterval) || 60) * 1000;

  function el(tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function load() {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(v) ? v.filter((w) => w && typeof w.board === "string" && Number(w.no) > 0) : [];
    } catch {
      return [];
    }
  }
  function save(list) {
    try {
      localStorage.setItem(KEY, JSON.stringify(list));
    } catch {
      // Not kept past this page.
    }
  }
  const find = (list, b, no) => list.find((w) => w.board === b && String(w.no) === String(no));

  /** What the panel calls a thread: its subject, or the start of its first post. */
  function labelOf(op) {
    const sub = op.querySelector(".subject")?.textContent?.trim();
    const text = sub || op.querySelector(".comment")?.textContent?.trim() || "";
    return text.length > LABEL_LENGTH ? `${text.slice(0, LABEL_LENGTH - 1)}…` : text;
  }

  // ---- this page: its threads get a Watch button; a watched thread's own page marks it read.
  const here = doc.querySelector(".thread-page .thread");
  if (here) {
    const list = load();
    const w = find(list, board, here.dataset.thread);
    if (w) {
      w.replies = Number(here.dataset.replies) || w.replies || 0;
      w.seen = w.replies;
      save(list);
    }
  }

  function toggleWatch(b, no, label, replies) {
    const list = load();
    const w = find(list, b, no);
    if (w) list.splice(list.indexOf(w), 1);
    else list.push({ board: b, no: Number(no), label, replies, seen: replies, status: "" });
    save(list);
    refreshButtons();
    render();
    schedule();
    return !w;
  }

  function watchButton(no, label, replies) {
    const button = el("button", "watch-toggle link-button", "[Watch]");
    button.type = "button";
    button.dataset.watch = String(no);
    button.addEventListener("click", (e) => {
      e.preventDefault();
      toggleWatch(board, no, label(), replies());
    });
    return button;
  }

  for (const thread of doc.querySelectorAll(".thread[data-thread]")) {
    const op = thread.querySelector(".post.op");
    const head = op?.querySelector(":scope > .post-head");
    if (!op || !head) continue;
    head.append(
      " ",
      watchButton(
        thread.dataset.thread,
        () => labelOf(op),
        () => Number(thread.dataset.replies) || 0,
      ),
    );
  }
  for (const card of doc.querySelectorAll(".catalog-thread[id^=c]")) {
    const no = card.id.slice(1);
    const stats = card.querySelector(".catalog-stats");
    if (!stats) continue;
    stats.append(
      " ",
      watchButton(
        no,
        () => {
          const sub = card.querySelector(".subject")?.textContent?.trim();
          const text = sub || card.querySelector(".catalog-teaser")?.textContent?.trim() || "";
          return text.slice(0, LABEL_LENGTH);
        },
        () => Number(card.querySelector(".catalog-stats b")?.textContent) || 0,
      ),
    );
  }

  function refreshButtons() {
    const list = load();
    for (const b of doc.querySelectorAll("button.watch-toggle")) {
      const on = !!find(list, board, b.dataset.watch);
      b.textContent = on ? "[Unwatch]" : "[Watch]";
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.title = on ? "Stop watching this thread" : "Add this thread to the thread watcher";
    }
  }
  refreshButtons();

  // ---- the panel
  const panel = el("aside", "watcher");
  panel.id = "watcher";
  panel.setAttribute("aria-label", "Thread watcher");
  const bar = el("div", "watcher-bar");
  const fold = el("button", "watcher-fold link-button");
  fold.type = "button";
  const refresh = el("button", "watcher-refresh link-button", "↻");
  refresh.type = "button";
  refresh.title = "Check now";
  refresh.setAttribute("aria-label", "Check the watched threads now");
  bar.append(fold, refresh);
  const items = el("ul", "watcher-list");
  panel.append(bar, items);
  body.append(panel);

  let folded = false;
  try {
    folded = localStorage.getItem(FOLD_KEY) === "1";
  } catch {
    // Storage refused: the panel starts open.
  }
  fold.addEventListener("click", () => {
    folded = !folded;
    try {
      localStorage.setItem(FOLD_KEY, folded ? "1" : "0");
    } catch {
      // Folded for this page only.
    }
    render();
  });
  refresh.addEventListener("click", () => poll());

  function render() {
    const list = load();
    panel.hidden = list.length === 0;
    const unreadTotal = list.reduce((n, w) => n + Math.max(0, (w.replies || 0) - (w.seen || 0)), 0);
    fold.textContent = `Watched threads (${list.length})${unreadTotal > 0 ? ` · ${unreadTotal} new` : ""} ${folded ? "▸" : "▾"}`;
    fold.setAttribute("aria-expanded", folded ? "false" : "true");
    items.hidden = folded;
    items.replaceChildren(
      ...list.map((w) => {
        const li = el("li", `watched${w.status ? ` watched-${w.status}` : ""}`);
        li.dataset.board = w.board;
        li.dataset.no = String(w.no);
        const unread = Math.max(0, (w.replies || 0) - (w.seen || 0));
        const a = el("a", "", `/${w.board}/ ${w.label || `No.${w.no}`}`);
        a.href = `/${w.board}/thread/${w.no}`;
        li.append(a);
        if (w.status === "404") li.append(" ", el("span", "watch-status", "(404)"));
        else if (w.status === "archived") li.append(" ", el("span", "watch-status", "(archived)"));
        if (unread > 0) li.append(" ", el("span", "unread", `(${unread})`));
        const remove = el("button", "watch-remove link-button", "×");
        remove.type = "button";
        remove.title = "Stop watching";
        remove.setAttribute("aria-label", `Stop watching /${w.board}/ No.${w.no}`);
        remove.addEventListener("click", () => toggleWatch(w.board, w.no, "", 0));
        li.append(" ", remove);
        return li;
      }),
    );
  }
  render();

  // ---- polling: one catalog per board, revalidated with its ETag.
  const catalogs = new Map();
  let timer = 0;
  let hiddenWait = intervalMs;

  async function catalogOf(b) {
    const known = catalogs.get(b);
    const headers = { Accept: "application/json" };
    if (known?.etag) headers["If-None-Match"] = known.etag;
    const res = await fetch(`/${b}/catalog.json`, { headers, cache: "no-store", credentials: "same-origin" });
    if (res.status === 304 && known) return known.replies;
    if (!res.ok) return null;
    const pages = await res.json();
    const replies = new Map();
    for (const page of Array.isArray(pages) ? pages : []) {
      for (const t of Array.isArray(page?.threads) ? page.threads : [])
        replies.set(String(t.no), Number(t.replies) || 0);
    }
    catalogs.set(b, { etag: res.headers.get("ETag"), replies });
    return replies;
  }

  /** Why a watched thread left the catalog: gone (404) or archived. */
  async function statusOf(b, no) {
    const res = await fetch(`/${b}/thread/${no}.json`, { headers: { Accept: "application/json" } });
    if (res.status === 404 || res.status === 410) return { status: "404" };
    if (!res.ok) return null;
    const data = await res.json();
    const op = Array.isArray(data?.posts) ? data.posts[0] : null;
    return op?.archived ? { status: "archived", replies: Number(op.replies) || 0 } : null;
  }

  async function poll() {
    clearTimeout(timer);
    const boards = [...new Set(load().map((w) => w.board))];
    const counts = new Map();
    const missing = [];
    for (const b of boards) {
      try {
        counts.set(b, await catalogOf(b));
      } catch {
        counts.set(b, null);
      }
    }
    const list = load();
    for (const w of list) {
      const replies = counts.get(w.board);
      if (!replies) continue;
      const n = replies.get(String(w.no));
      if (n !== undefined) {
        w.replies = n;
        w.status = "";
      } else if (!w.status) missing.push(w);
    }
    for (const w of missing) {
      try {
        const found = await statusOf(w.board, w.no);
        if (found) {
          w.status = found.status;
          if (found.replies !== undefined) w.replies = found.replies;
        }
      } catch {
        // Checked again next time.
      }
    }
    // Written over the latest list, so a watch added meanwhile (another tab) is kept.
    const latest = load();
    for (const w of latest) {
      const fresh = find(list, w.board, w.no);
      if (fresh)
        Object.assign(w, {
          replies: fresh.replies,
          status: fresh.status,
          seen: Math.max(w.seen || 0, fresh.seen || 0),
        });
    }
    save(latest);
    render();
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (load().length === 0) return;
    if (doc.hidden) hiddenWait = Math.min(MAX_HIDDEN_MS, hiddenWait * 2);
    else hiddenWait = intervalMs;
    timer = setTimeout(poll, doc.hidden ? hiddenWait : intervalMs);
  }

  doc.addEventListener("visibilitychange", () => {
    if (!doc.hidden) poll();
  });
  // Another tab watched or read something.
  addEventListener("storage", (e) => {
    if (e.key === KEY) {
      refreshButtons();
      render();
    }
  });
  if (load().length > 0) poll();
})();
