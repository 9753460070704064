// Live threads: follows the thread's event stream and inserts new replies as the server renders them
// (GET /:board/thread/:no/posts?after=N), with backlinks on the posts they quote; marks deleted posts,
// counts new replies in the title while the tab is in the background, and lets the stream go while
// the tab stays hidden. After a reconnect it checks the thread JSON once for posts deleted while it was
// away (the stream replays new posts, not deletions). Without this file the "Update" link reloads the thread at the first new reply.
(() => {
  const doc = document;
  const bars = [...doc.querySelectorAll(".live-bar[data-events]")];
  const thread = doc.querySelector(".thread-page .thread[data-thread]");
  if (bars.length === 0 || !thread || typeof EventSource !== "function") return;
  const eventsUrl = bars[0].dataset.events;
  const base = eventsUrl.replace(/\/events$/, "");
  const threadNo = Number(thread.dataset.thread);
  let last = Math.max(...bars.map((b) => Number(b.dataset.last) || 0));
  const baseTitle = doc.title;
  /** Hidden this long, the tab lets its stream go; it resumes from the last post when shown. */
  const HIDDEN_CLOSE_MS = 5 * 60 * 1000;
  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  let source = null;
  let backoff = 2000;
  let retryTimer = 0;
  let hiddenTimer = 0;
  let unread = 0;
  let fetching = null;
  let again = false;
  let ended = false;
  /** Whether the stream has opened before: a later open is a reconnect, which may have missed deletions. */
  let opened = false;
  let etag = null;
  const pad = (n) => String(n).padStart(2, "0");
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  function status(text) {
    for (const b of bars) {
      const s = b.querySelector(".live-status");
      if (s) s.textContent = text;
    }
  }

  function away() {
    return doc.hidden || !doc.hasFocus();
  }

  function showCount() {
    doc.title = unread > 0 ? `(${unread}) ${baseTitle}` : baseTitle;
  }

  function localTime(node) {
    const d = new Date(node.dateTime);
    if (Number.isNaN(d.getTime())) return;
    node.textContent = `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}(${DAYS[d.getDay()]})${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    node.title = d.toLocaleString();
  }

  /** Server-rendered replies, parsed without running anything in them. */
  function parse(text) {
    const t = doc.createElement("template");
    t.innerHTML = text;
    return t.content;
  }

  /** A `>>N` link under post N for the reply `from` that quotes it (as the server renders backlinks). */
  function addBacklinks(post) {
    const from = Number(post.dataset.no);
    for (const a of post.querySelectorAll(".comment a.quotelink")) {
      const m = /\/thread\/(\d+)(?:#p(\d+))?$/.exec(a.getAttribute("href") || "");
      if (!m || Number(m[1]) !== threadNo) continue;
      const target = doc.getElementById(`p${m[2] || m[1]}`);
      const head = target ? target.querySelector(".post-head") : null;
      if (!head || head.querySelector(`a.backlink[href$="#p${from}"]`)) continue;
      let box = head.querySelector(".backlinks");
      if (!box) {
        box = doc.createElement("span");
        box.className = "backlinks";
        box.setAttribute("aria-label", "Replies");
        head.append(box);
      }
      const link = doc.createElement("a");
      link.className = "quotelink backlink";
      link.href = `${base}#p${from}`;
      link.textContent = `>>${from}`;
      box.append(" ", link);
    }
  }

  async function fetchAfter(after) {
    const res = await fetch(`${base}/posts?after=${after}`, { headers: { Accept: "text/html" } });
    if (!res.ok) throw new Error(String(res.status));
    return parse(await res.text());
  }

  /** Inserts every reply after the last one shown; one request at a time, one more if posts came meanwhile. */
  function insertNew() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = fetchAfter(last)
      .then((frag) => {
        let added = 0;
        for (const wrap of [...frag.children]) {
          const post = wrap.matches(".post") ? wrap : wrap.querySelector(".post");
          if (!post || doc.getElementById(post.id)) continue;
          for (const t of wrap.querySelectorAll("time[datetime]")) localTime(t);
          thread.append(wrap);
          addBacklinks(post);
          last = Math.max(last, Number(post.dataset.no) || 0);
          added++;
        }
        for (const b of bars) {
          b.dataset.last = String(last);
          const link = b.querySelector(".update-link");
          if (link) link.href = `${base}?since=${last}`;
        }
        if (added > 0 && away()) {
          unread += added;
          showCount();
        }
      })
      .catch(() => status("Could not load new replies."))
      .finally(() => {
        fetching = null;
        if (again) {
          again = false;
          insertNew();
        }
      });
  }

  function markDeleted(no) {
    const post = doc.getElementById(`p${no}`);
    if (!post || post.classList.contains("deleted")) return;
    post.classList.add("deleted");
    const badge = doc.createElement("span");
    badge.className = "badge badge-deleted";
    badge.textContent = "Deleted";
    const head = post.querySelector(".post-head");
    if (head) head.append(" ", badge);
  }

  async function replace(no) {
    const old = doc.getElementById(`p${no}`);
    if (!old) return;
    const frag = await fetchAfter(no - 1).catch(() => null);
    const fresh = frag ? frag.querySelector(`#p${no}`) : null;
    if (!fresh) return;
    for (const t of fresh.querySelectorAll("time[datetime]")) localTime(t);
    old.replaceWith(fresh);
  }

  /**
   * Marks the posts on the page that the thread JSON no longer lists. Only posts shown before the
   * request count: one inserted meanwhile may be newer than the JSON.
   */
  async function syncDeletions() {
    const shown = last;
    const headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    const res = await fetch(`${base}.json`, { headers, cache: "no-store" }).catch(() => null);
    if (!res) return;
    if (res.status === 404) {
      threadGone();
      return;
    }
    if (!res.ok) return; // 304: nothing changed since the last check.
    etag = res.headers.get("ETag");
    const body = await res.json().catch(() => null);
    if (!body || !Array.isArray(body.posts)) return;
    const listed = new Set(body.posts.map((p) => Number(p.no)));
    for (const post of thread.querySelectorAll(".post[data-no]")) {
      const no = Number(post.dataset.no);
      if (no <= shown && !listed.has(no)) markDeleted(no);
    }
  }

  const json = (e) => {
    try {
      return JSON.parse(e.data);
    } catch {
      return {};
    }
  };

  function connect() {
    clearTimeout(retryTimer);
    if (source || ended) return;
    // The last post on the page, so a reply made since the page was rendered is sent first.
    source = new EventSource(`${eventsUrl}?last_event_id=${last}`);
    status("Connecting…");
    source.addEventListener("open", () => {
      backoff = 2000;
      status("Auto-update on");
      if (opened) syncDeletions();
      opened = true;
    });
    source.addEventListener("post", (e) => {
      if (Number(json(e).no) > last) insertNew();
    });
    source.addEventListener("update", (e) => replace(Number(json(e).no)));
    source.addEventListener("delete", (e) => {
      const no = Number(json(e).no);
      markDeleted(no);
      if (no === threadNo) threadGone();
    });
    source.addEventListener("thread", (e) => {
      const t = json(e);
      if (t.archived) status("Auto-update on · this thread is now archived");
      else if (t.closed) status("Auto-update on · this thread is now closed");
    });
    source.addEventListener("error", () => {
      // A dropped connection is retried by the browser; a refused one (429, 5xx) is closed: wait and retry.
      if (!source || source.readyState !== EventSource.CLOSED) {
        status("Reconnecting…");
        return;
      }
      disconnect();
      status(`Auto-update paused; retrying in ${Math.round(backoff / 1000)} s`);
      retryTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    });
  }

  function threadGone() {
    markDeleted(threadNo);
    ended = true;
    disconnect();
    status("This thread was deleted.");
  }

  function disconnect() {
    if (source) source.close();
    source = null;
  }

  function seen() {
    if (unread === 0) return;
    unread = 0;
    showCount();
  }

  addEventListener("focus", seen);
  doc.addEventListener("visibilitychange", () => {
    clearTimeout(hiddenTimer);
    if (doc.hidden) {
      hiddenTimer = setTimeout(() => {
        disconnect();
        status("Auto-update paused while the tab is hidden");
      }, HIDDEN_CLOSE_MS);
      return;
    }
    if (doc.hasFocus()) seen();
    connect();
  });
  connect();
})();
