// Optional reading aids, all kept in this browser: the options panel, (You) and (OP) markers, hiding
// posts and threads, and the full image on hovering a thumbnail. Pages work the same without it.
(() => {
  const doc = document;
  const body = doc.body;
  const board = body.dataset.board || "";
  const SETTINGS_KEY = "atoll-settings";
  const YOU_KEY = "atoll-you";
  const HIDDEN_KEY = "atoll-hidden";
  const PENDING_KEY = "atoll-pending-post";
  /** Posts remembered per board: enough for months of posting, small enough for localStorage. */
  const MAX_REMEMBERED = 1000;
  /** How long after a submit the next page may claim its post: a slow upload, not a later visit. */
  const PENDING_MS = 10 * 60 * 1000;

  const DEFAULTS = { you: true, hide: true, hover: true, watcher: true, quickReply: true, watchInterval: 60 };
  const LABELS = {
    you: "Mark my posts and replies to them with (You)",
    hide: "Show the [–] buttons that hide posts and threads",
    hover: "Show the full image when hovering a thumbnail",
    watcher: "Show the thread watcher",
    quickReply: "Open a quick reply form when clicking a post number",
  };

  function readJson(key, fallback) {
    try {
      const v = JSON.parse(localStorage.getItem(key) || "null");
      return v && typeof v === "object" ? v : fallback;
    } catch {
      return fallback;
    }
  }
  function writeJson(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or refused: the choice holds for this page only.
    }
  }
  const settings = () => ({ ...DEFAULTS, ...readJson(SETTINGS_KEY, {}) });

  function el(tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- options panel, opened from the header
  function optionsPanel() {
    const nav = doc.querySelector(".site-links");
    if (!nav) return;
    const button = el("button", "options-toggle", "Options");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    nav.append(button);
    let panel = null;
    button.addEventListener("click", () => {
      if (panel) {
        panel.remove();
        panel = null;
        button.setAttribute("aria-expanded", "false");
        return;
      }
      const current = settings();
      panel = el("div", "options-panel");
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-label", "Options");
      panel.append(el("h2", "", "Options"));
      for (const [key, label] of Object.entries(LABELS)) {
        const row = el("label", "option");
        const box = el("input");
        box.type = "checkbox";
        box.name = key;
        box.checked = current[key] !== false;
        box.addEventListener("change", () => writeJson(SETTINGS_KEY, { ...settings(), [key]: box.checked }));
        row.append(box, ` ${label}`);
        panel.append(row);
      }
      const interval = el("label", "option");
      const secs = el("input");
      secs.type = "number";
      secs.name = "watchInterval";
      secs.min = "10";
      secs.value = String(current.watchInterval);
      secs.addEventListener("change", () => {
        const n = Math.max(10, Math.round(Number(secs.value)) || DEFAULTS.watchInterval);
        writeJson(SETTINGS_KEY, { ...settings(), watchInterval: n });
      });
      interval.append("Check watched threads every ", secs, " seconds");
      panel.append(
        interval,
        el("p", "option-note", "Changes apply from the next page you open. They stay in this browser."),
      );
      body.append(panel);
      button.setAttribute("aria-expanded", "true");
    });
  }
  optionsPanel();

  const opts = settings();

  // ---- (You): the posts this browser made. A form submit leaves a flag; the page it lands on
  // (`#p<no>` of the new post) claims the number. The quick reply announces its posts directly.
  function yours(b) {
    const all = readJson(YOU_KEY, {});
    return new Set(Array.isArray(all[b]) ? all[b].map(String) : []);
  }
  function rememberYou(b, no) {
    const all = readJson(YOU_KEY, {});
    const list = Array.isArray(all[b]) ? all[b].filter((n) => String(n) !== String(no)) : [];
    list.push(Number(no));
    all[b] = list.slice(-MAX_REMEMBERED);
    writeJson(YOU_KEY, all);
  }

  doc.addEventListener("submit", (e) => {
    const form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement) || !form.classList.contains("post-form")) return;
    try {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify({ board, at: Date.now() }));
    } catch {
      // No session storage: the post is simply not marked.
    }
  });

  (() => {
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
      sessionStorage.removeItem(PENDING_KEY);
    } catch {
      return;
    }
    // A reply lands on `#p<no>`; a new thread on its own page, with no anchor.
    const onThread = /^\/([a-z0-9]{1,30})\/thread\/(\d+)$/.exec(location.pathname);
    const m = /^#p(\d+)$/.exec(location.hash);
    const no = m ? m[1] : location.hash ? null : onThread?.[2];
    if (pending && no && onThread && onThread[1] === pending.board && Date.now() - pending.at < PENDING_MS) {
      rememberYou(pending.board, no);
    }
  })();

  const mine = yours(board);
  const hidden = (() => {
    const all = readJson(HIDDEN_KEY, {});
    const mineHere = all[board] || {};
    return {
      posts: new Set((mineHere.p || []).map(String)),
      threads: new Set((mineHere.t || []).map(String)),
    };
  })();
  function saveHidden() {
    const all = readJson(HIDDEN_KEY, {});
    all[board] = { p: [...hidden.posts].slice(-MAX_REMEMBERED), t: [...hidden.threads].slice(-MAX_REMEMBERED) };
    writeJson(HIDDEN_KEY, all);
  }

  function markQuote(link, text, className) {
    if (link.nextElementSibling?.classList.contains(className)) return;
    link.after(el("span", `quote-mark ${className}`, ` ${text}`));
  }

  function markQuotes(root) {
    for (const link of root.querySelectorAll(".comment a.quotelink, .backlinks a.quotelink")) {
      if (link.closest(".quote-preview")) continue;
      const m = /^\/([a-z0-9]{1,30})\/thread\/(\d+)(?:#p(\d+))?$/.exec(link.getAttribute("href") || "");
      if (!m || m[1] !== board) continue;
      const [, , thread, no = thread] = m;
      if (opts.you && mine.has(no)) markQuote(link, "(You)", "you-mark");
      const here = link.closest(".thread")?.dataset.thread;
      if (no === thread && here === thread && link.closest(".comment")) markQuote(link, "(OP)", "op-mark");
    }
  }

  // ---- hiding: a [–] on each post; a hidden post keeps its head as a stub with a [+].
  function applyHidden(post) {
    const no = post.dataset.no;
    const isOp = post.classList.contains("op");
    const off = isOp ? hidden.threads.has(no) : hidden.posts.has(no);
    post.classList.toggle("post-hidden", off);
    const thread = isOp ? post.closest(".thread") : null;
    // On its own page a hidden thread folds only its first post; elsewhere the whole thread folds.
    if (thread && !body.classList.contains("thread-page")) thread.classList.toggle("thread-hidden", off);
    const button = post.querySelector(":scope > .post-head > .hide-toggle");
    if (button) {
      button.textContent = off ? "[+]" : "[–]";
      button.title = off ? "Show this again" : isOp ? "Hide this thread" : "Hide this post";
      button.setAttribute("aria-pressed", off ? "true" : "false");
    }
  }

  function decorate(post) {
    if (post.closest(".quote-preview") || post.dataset.decorated) return;
    post.dataset.decorated = "1";
    const no = post.dataset.no;
    if (opts.you && mine.has(no)) {
      post.classList.add("post-you");
      post.querySelector(".post-no")?.after(el("span", "you-label", " (You)"));
    }
    if (opts.hide) {
      const head = post.querySelector(":scope > .post-head");
      if (head) {
        const button = el("button", "hide-toggle link-button", "[–]");
        button.type = "button";
        head.prepend(button);
      }
      applyHidden(post);
    }
    markQuotes(post);
  }

  function decorateAll(root) {
    for (const post of root.querySelectorAll(".post[data-no]")) decorate(post);
  }
  decorateAll(doc);
  // Posts added later (a live thread) get the same treatment.
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (!(n instanceof Element) || n.closest(".quote-preview")) continue;
        if (n.matches(".post[data-no]")) decorate(n);
        else decorateAll(n);
      }
    }
  }).observe(body, { childList: true, subtree: true });

  doc.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest(".hide-toggle") : null;
    const post = button?.closest(".post[data-no]");
    if (!post) return;
    e.preventDefault();
    const set = post.classList.contains("op") ? hidden.threads : hidden.posts;
    const no = post.dataset.no;
    if (set.has(no)) set.delete(no);
    else set.add(no);
    saveHidden();
    applyHidden(post);
  });

  // Claimed by the quick reply: a post it made.
  doc.addEventListener("atoll:posted", (e) => {
    const d = e.detail || {};
    if (d.board && d.no) rememberYou(d.board, d.no);
  });

  // ---- image hover: the full image (or video) next to the cursor, inside the window.
  const canHover = matchMedia("(hover: hover) and (pointer: fine)").matches;
  let hoverBox = null;
  let hoverLink = null;
  const VIDEO = /\.(webm|mp4)$/i;

  function placeHover(x, y) {
    if (!hoverBox || !hoverLink) return;
    const w0 = Number(hoverLink.dataset.w) || 0;
    const h0 = Number(hoverLink.dataset.h) || 0;
    const room = Math.max(x - 20, innerWidth - x - 20);
    const scale = w0 && h0 ? Math.min(1, (room - 10) / w0, (innerHeight - 10) / h0) : 1;
    const w = w0 ? Math.floor(w0 * scale) : Math.min(room, 400);
    const h = h0 ? Math.floor(h0 * scale) : 0;
    const media = hoverBox.firstChild;
    media.style.width = `${w}px`;
    if (h) media.style.height = `${h}px`;
    const left = x + 20 + w <= innerWidth ? x + 20 : Math.max(0, x - 20 - w);
    const top = Math.min(Math.max(0, y - h / 2), Math.max(0, innerHeight - h));
    hoverBox.style.left = `${left}px`;
    hoverBox.style.top = `${top}px`;
  }

  function endHover() {
    hoverBox?.remove();
    hoverBox = null;
    hoverLink = null;
  }

  doc.addEventListener("mouseover", (e) => {
    const link = e.target instanceof Element ? e.target.closest("a.file-thumb") : null;
    if (!link || link === hoverLink || !canHover || !settings().hover) return;
    if (link.classList.contains("expanded") || link.closest(".quote-preview")) return;
    endHover();
    hoverLink = link;
    hoverBox = el("div", "hover-image");
    let media;
    if (VIDEO.test(link.getAttribute("href") || "")) {
      media = el("video");
      media.muted = true;
      media.loop = true;
      media.autoplay = true;
    } else {
      media = el("img");
      media.alt = "";
    }
    media.src = link.href;
    hoverBox.append(media);
    body.append(hoverBox);
    placeHover(e.clientX, e.clientY);
  });
  doc.addEventListener("mousemove", (e) => {
    if (hoverLink) placeHover(e.clientX, e.clientY);
  });
  doc.addEventListener("mouseout", (e) => {
    if (!hoverLink || !(e.target instanceof Element) || e.target.closest("a.file-thumb") !== hoverLink) return;
    if (e.relatedTarget instanceof Node && hoverLink.contains(e.relatedTarget)) return;
    endHover();
  });
  // Expanding the thumbnail in place replaces the hover.
  doc.addEventListener("click", (e) => {
    if (hoverLink && e.target instanceof Element && e.target.closest("a.file-thumb") === hoverLink) endHover();
  });
})();
