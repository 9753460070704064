// The posting forms with a script: the folded form at the top opens for a quote link (#q<no>), and
// a click on any post number opens a floating, draggable quick reply to that post's thread, posted
// with fetch through the same form endpoint. Without this file the post numbers link to the form.
(() => {
  const doc = document;
  const body = doc.body;
  const board = body.dataset.board || "";
  const pageThreadEl = doc.querySelector(".thread-page .thread");
  const pageThread = pageThreadEl ? pageThreadEl.dataset.thread : null;
  const topBox = doc.querySelector("details.top-form");
  const topForm = doc.getElementById("post-form");
  const quickReplyOn = () => {
    try {
      return JSON.parse(localStorage.getItem("atoll-settings") || "{}").quickReply !== false;
    } catch {
      return true;
    }
  };

  function el(tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Inserts `>>no` (and the text selected in that post, quoted) at the cursor. */
  function insertQuote(textarea, no) {
    let text = `>>${no}\n`;
    const sel = getSelection();
    const selected = sel ? String(sel).trim() : "";
    const anchor = sel?.anchorNode?.parentElement;
    if (selected && anchor?.closest(`#p${no}`)) {
      text += `${selected
        .split("\n")
        .map((line) => `>${line}`)
        .join("\n")}\n`;
    }
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    const before = textarea.value.slice(0, start);
    textarea.setRangeText((before && !before.endsWith("\n") ? "\n" : "") + text, start, end, "end");
    textarea.focus();
  }

  // ---- the form at the top opens when a link points at it or quotes a post of this thread.
  const topText = topForm ? topForm.querySelector("textarea[name=com]") : null;
  function openForHash() {
    if (!topBox) return;
    const q = /^#q(\d+)$/.exec(location.hash);
    if (q || /^#(post-form|reply|new-thread)$/.test(location.hash)) {
      topBox.open = true;
      if (q && topText && pageThread) insertQuote(topText, q[1]);
    }
  }
  openForHash();
  addEventListener("hashchange", openForHash);

  // ---- the quick reply
  let qr = null;

  function closeQr() {
    qr?.box.remove();
    qr = null;
  }

  function showError(message) {
    if (!qr) return;
    qr.status.textContent = message;
    qr.status.className = "qr-status error";
  }

  /** A copy of the page's form, renamed so its ids stay unique, aimed at `thread`'s reply endpoint. */
  function buildQr(thread) {
    const form = topForm.cloneNode(true);
    form.id = "qr-form";
    for (const n of form.querySelectorAll("[id]")) n.id = `qr-${n.id}`;
    for (const n of form.querySelectorAll("label[for]")) n.htmlFor = `qr-${n.htmlFor}`;
    form.action = `/${board}/thread/${thread}/reply`;
    form.querySelector("[name=sub]")?.closest(".form-row")?.remove();
    form.querySelector(".form-rules")?.remove();
    form.querySelector(".form-title")?.remove();
    const file = form.querySelector("input[type=file]");
    if (file) file.required = false;
    const submit = form.querySelector("button[type=submit]");
    if (submit) submit.textContent = "Post reply";
    // A challenge of its own: the cookie holds several, one per image shown.
    const captcha = form.querySelector("img.captcha");
    if (captcha) captcha.src = `/captcha.png?${Date.now()}`;

    const box = el("div", "quick-reply");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", `Quick reply to thread No.${thread}`);
    const bar = el("div", "qr-bar");
    bar.append(el("span", "qr-title", `Reply to No.${thread}`));
    const close = el("button", "qr-close", "×");
    close.type = "button";
    close.title = "Close";
    close.setAttribute("aria-label", "Close the quick reply");
    close.addEventListener("click", closeQr);
    bar.append(close);
    const status = el("p", "qr-status");
    status.setAttribute("role", "status");
    box.append(bar, form, status);
    body.append(box);
    drag(box, bar);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send(form, thread);
    });
    return { box, form, status, thread, text: form.querySelector("textarea[name=com]") };
  }

  /** Moves the box by its bar, kept inside the window. */
  function drag(box, handle) {
    handle.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || (e.target instanceof Element && e.target.closest("button"))) return;
      const r = box.getBoundingClientRect();
      const dx = e.clientX - r.left;
      const dy = e.clientY - r.top;
      handle.setPointerCapture(e.pointerId);
      const move = (m) => {
        const left = Math.min(Math.max(0, m.clientX - dx), innerWidth - box.offsetWidth);
        const top = Math.min(Math.max(0, m.clientY - dy), innerHeight - box.offsetHeight);
        box.style.left = `${left}px`;
        box.style.top = `${top}px`;
        box.style.right = "auto";
        box.style.bottom = "auto";
      };
      const up = () => {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    });
  }

  async function send(form, thread) {
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    qr.status.textContent = "Posting…";
    qr.status.className = "qr-status";
    try {
      const res = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await res.json().catch(() => null);
      if (res.status === 201 && data && data.no) {
        doc.dispatchEvent(new CustomEvent("atoll:posted", { detail: { board, thread, no: data.no } }));
        closeQr();
        const target = `/${board}/thread/${thread}`;
        // To the new post: a reload when this is its thread's page, since only the anchor changes.
        if (location.pathname === target) {
          location.hash = `p${data.no}`;
          location.reload();
        } else {
          location.assign(`${target}#p${data.no}`);
        }
        return;
      }
      if (res.status === 202 && data) {
        form.reset();
        qr.status.textContent = data.message || "Your post waits for a moderator.";
        qr.status.className = "qr-status";
        return;
      }
      showError((data && (data.detail || data.title)) || `The post failed (HTTP ${res.status}).`);
      const captcha = form.querySelector("img.captcha");
      if (captcha) {
        captcha.src = `/captcha.png?${Date.now()}`;
        const answer = form.querySelector("[name=captcha_answer]");
        if (answer) answer.value = "";
      }
    } catch {
      showError("The post could not be sent: check the connection and try again.");
    } finally {
      if (button) button.disabled = false;
    }
  }

  doc.addEventListener("click", (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const link = e.target instanceof Element ? e.target.closest("a.quote-no") : null;
    if (!link || link.closest(".quote-preview")) return;
    const m = /^\/([a-z0-9]{1,30})\/thread\/(\d+)#q(\d+)$/.exec(link.getAttribute("href") || "");
    if (!m || m[1] !== board) return;
    const [, , thread, no] = m;
    if (!topForm || !quickReplyOn()) {
      // Without the quick reply, a quote in this thread goes to the form at the top.
      if (thread !== pageThread || !topText || !topBox) return;
      e.preventDefault();
      topBox.open = true;
      insertQuote(topText, no);
      return;
    }
    e.preventDefault();
    if (qr && qr.thread !== thread) closeQr();
    if (!qr) qr = buildQr(thread);
    if (qr.text) insertQuote(qr.text, no);
  });
})();
