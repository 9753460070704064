// Atoll's progressive enhancements. Every page works without this file; with it: quote previews,
// inline image expansion, local times and a theme switch (quoting and the quick reply are in
// quick-reply.js). Plain browser JavaScript, loaded from our origin only (the CSP allows no inline script).
(() => {
  const doc = document;
  const body = doc.body;
  const mediaUrl = body.dataset.mediaUrl || "";
  const pageBoard = body.dataset.board || "";
  const pad = (n) => String(n).padStart(2, "0");
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  function el(tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- local times: pages are rendered once for everyone, in UTC.
  function localTime(node) {
    const d = new Date(node.dateTime);
    if (Number.isNaN(d.getTime())) return;
    node.textContent = `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}(${DAYS[d.getDay()]})${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    node.title = d.toLocaleString();
  }
  for (const t of doc.querySelectorAll("time[datetime]")) localTime(t);

  // ---- theme switch, remembered in localStorage (theme.js applies it early on the next page).
  const toggle = doc.querySelector(".theme-toggle");
  const theme = () =>
    doc.documentElement.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const labelToggle = () => {
    toggle.textContent = theme() === "dark" ? "Light theme" : "Dark theme";
  };
  if (toggle) {
    toggle.hidden = false;
    labelToggle();
    toggle.addEventListener("click", () => {
      const next = theme() === "dark" ? "light" : "dark";
      doc.documentElement.dataset.theme = next;
      try {
        localStorage.setItem("atoll-theme", next);
      } catch {
        // Not remembered; it still applies to this page.
      }
      labelToggle();
    });
  }

  // ---- inline image expansion
  function expand(link) {
    const img = link.querySelector("img");
    if (!img) return;
    if (link.classList.contains("expanded")) {
      img.src = link.dataset.thumb;
      img.width = Number(link.dataset.tw);
      img.height = Number(link.dataset.th);
      link.classList.remove("expanded");
      const post = link.closest(".post");
      if (post && post.getBoundingClientRect().top < 0) post.scrollIntoView();
      return;
    }
    if (!link.dataset.thumb) {
      link.dataset.thumb = img.getAttribute("src");
      link.dataset.tw = img.getAttribute("width");
      link.dataset.th = img.getAttribute("height");
    }
    const full = new Image();
    link.classList.add("loading");
    full.onload = () => {
      link.classList.remove("loading");
      img.width = Number(link.dataset.w) || full.naturalWidth;
      img.height = Number(link.dataset.h) || full.naturalHeight;
      img.src = full.src;
      link.classList.add("expanded");
    };
    full.onerror = () => {
      link.classList.remove("loading");
      location.href = link.href;
    };
    full.src = link.href;
  }

  doc.addEventListener("click", (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    // Videos are expanded by video.js.
    const thumb = target.closest("a.file-thumb:not(.file-video)");
    if (thumb && !thumb.closest(".quote-preview")) {
      e.preventDefault();
      expand(thumb);
      return;
    }
    const spoiler = target.closest(".comment s");
    if (spoiler && !target.closest("a")) {
      spoiler.classList.toggle("revealed");
      return;
    }
    if (target.matches("img.captcha")) {
      target.src = `/captcha.png?${Date.now()}`;
      return;
    }
    if (target.matches("a[data-back]") && history.length > 1) {
      e.preventDefault();
      history.back();
    }
  });

  // ---- quote previews
  const threads = new Map();
  let preview = null;
  let hovered = null;

  function loadThread(board, thread) {
    const key = `${board}/${thread}`;
    let p = threads.get(key);
    if (!p) {
      p = fetch(`/${board}/thread/${thread}.json`, { headers: { Accept: "application/json" } }).then((r) =>
        r.ok ? r.json() : null,
      );
      threads.set(key, p);
    }
    return p;
  }

  function idHue(id) {
    let h = 2166136261;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
    return (h >>> 0) % 24;
  }

  // A post from the thread JSON, built with DOM APIs; only `com`, which the server rendered and
  // escaped, is inserted as HTML.
  function postFromJson(board, p) {
    const post = el("article", "post reply");
    const head = el("div", "post-head");
    if (p.sub) head.append(el("span", "subject", p.sub), " ");
    head.append(el("span", "name", p.name || ""));
    if (p.trip) head.append(el("span", "trip", p.trip));
    if (p.id) head.append(" ", el("span", `poster-id hue-${idHue(p.id)}`, `ID: ${p.id}`));
    const time = el("time");
    time.dateTime = new Date(p.time * 1000).toISOString();
    localTime(time);
    head.append(" ", time, " ", el("span", "post-no", `No.${p.no}`));
    post.append(head);
    if (p.tim) {
      const file = el("div", "file");
      const name = p.spoiler ? "Spoiler Image" : `${p.filename}${p.ext}`;
      file.append(el("div", "file-info", `File: ${name} (${p.w}x${p.h})`));
      const box = el("span", "file-thumb");
      const img = el("img");
      img.src = p.spoiler ? "/static/spoiler.svg" : `${mediaUrl}/${board}/${p.tim}s.jpg`;
      img.width = p.spoiler ? 100 : p.tn_w;
      img.height = p.spoiler ? 100 : p.tn_h;
      img.alt = "";
      box.append(img);
      file.append(box);
      post.append(file);
    } else if (p.filedeleted) {
      post.append(el("div", "file-deleted", "File deleted."));
    }
    const comment = el("blockquote", "comment");
    comment.innerHTML = p.com || "";
    post.append(comment);
    return post;
  }

  function place(box, link) {
    const r = link.getBoundingClientRect();
    const w = box.offsetWidth;
    const h = box.offsetHeight;
    let left = r.right + 10;
    if (left + w > innerWidth - 8) left = Math.max(8, r.left - w - 10);
    if (left + w > innerWidth - 8) left = Math.max(8, innerWidth - w - 8);
    let top = r.top - 8;
    if (top + h > innerHeight - 8) top = Math.max(8, innerHeight - h - 8);
    box.style.left = `${left + scrollX}px`;
    box.style.top = `${top + scrollY}px`;
  }

  function show(link, content) {
    hide();
    preview = el("div", "quote-preview");
    preview.append(content);
    body.append(preview);
    place(preview, link);
  }

  function hide() {
    if (preview) preview.remove();
    preview = null;
    for (const h of doc.querySelectorAll(".post.highlight")) h.classList.remove("highlight");
  }

  function cloneForPreview(post) {
    const copy = post.cloneNode(true);
    copy.removeAttribute("id");
    for (const n of copy.querySelectorAll("[id]")) n.removeAttribute("id");
    for (const n of copy.querySelectorAll("input")) n.remove();
    copy.classList.remove("highlight", "op");
    copy.classList.add("reply");
    return copy;
  }

  doc.addEventListener("mouseover", (e) => {
    const link = e.target instanceof Element ? e.target.closest("a.quotelink") : null;
    if (!link || link === hovered || link.closest(".quote-preview")) return;
    const m = /^\/([a-z0-9]{1,30})\/thread\/(\d+)(?:#p(\d+))?$/.exec(link.getAttribute("href") || "");
    if (!m) return;
    hovered = link;
    const [, board, thread, no = thread] = m;
    const onPage = board === pageBoard ? doc.getElementById(`p${no}`) : null;
    if (onPage) {
      show(link, cloneForPreview(onPage));
      onPage.classList.add("highlight");
      return;
    }
    show(link, el("div", "post reply loading", "Loading…"));
    loadThread(board, thread)
      .then((data) => {
        if (hovered !== link) return;
        const found = data && Array.isArray(data.posts) ? data.posts.find((p) => String(p.no) === no) : null;
        show(link, found ? postFromJson(board, found) : el("div", "post reply loading", "That post is gone."));
      })
      .catch(() => {
        if (hovered === link) show(link, el("div", "post reply loading", "Could not load the post."));
      });
  });

  doc.addEventListener("mouseout", (e) => {
    if (!hovered || !(e.target instanceof Element) || e.target.closest("a.quotelink") !== hovered) return;
    if (e.relatedTarget instanceof Node && hovered.contains(e.relatedTarget)) return;
    hovered = null;
    hide();
  });
})();
