import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noteText } from "../../federation/inbox/note-text.js";
import { visibleOnBoard } from "../../federation/inbox/remote-note.js";
import { htmlToText, plainText, sanitizeContent, sanitizeWithText } from "../../federation/inbox/sanitize.js";
import { SanitizerThreads } from "../../federation/inbox/sanitizer-threads.js";
import { type NormalizedObject, normalizeObject } from "../../federation/vocab/normalize.js";

const REL = 'rel="nofollow noopener noreferrer ugc"';

function note(fields: Record<string, unknown>): NormalizedObject {
  const n = normalizeObject({
    id: "https://r.example/notes/1",
    type: "Note",
    attributedTo: "https://r.example/u/a",
    ...fields,
  });
  if (!n.ok) throw new Error(n.reason);
  return n;
}

describe("remote HTML sanitizing", () => {
  it("keeps the small allowlist and drops scripts, styles, images, handlers and unknown tags", () => {
    const html =
      "<p>Hi <strong>there</strong> <em>you</em> <b>b</b> <i>i</i> <s>s</s> <code>c</code></p>" +
      "<pre>pre</pre><blockquote>q</blockquote><ul><li>one</li></ul><ol><li>two</li></ol>" +
      '<script>alert("x")</script><style>p{}</style><img src="https://x/i.png" onerror="x()"><iframe src="https://x"></iframe>' +
      '<div onclick="x()">div text</div><h1>title</h1><br/>';
    expect(sanitizeContent(html)).toBe(
      "<p>Hi <strong>there</strong> <em>you</em> <b>b</b> <i>i</i> <s>s</s> <code>c</code></p>" +
        "<pre>pre</pre><blockquote>q</blockquote><ul><li>one</li></ul><ol><li>two</li></ol>" +
        "div texttitle<br />",
    );
  });

  it("keeps only http(s) links, absolute, marked as user content", () => {
    expect(sanitizeContent('<a href="https://a.example/x?y=1&amp;z=2" class="u-url" target="_blank">ok</a>')).toBe(
      `<a href="https://a.example/x?y=1&amp;z=2" ${REL}>ok</a>`,
    );
    const bad = [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "data:text/html,x",
      "vbscript:x",
      "/relative",
      "//proto.rel/x",
      "mailto:a@b",
    ];
    for (const href of bad) {
      const out = sanitizeContent(`<a href="${href}">x</a>`);
      expect(out, href).not.toMatch(/href/);
      expect(out).toContain("x");
    }
  });

  it("keeps mention and hashtag markup: span classes h-card, mention and quote only", () => {
    expect(sanitizeContent('<span class="h-card mention invisible" style="color:red">@a</span>')).toBe(
      '<span class="h-card mention">@a</span>',
    );
    expect(sanitizeContent('<span class="ellipsis">x</span>')).toBe("<span>x</span>");
  });

  it("reads HTML as text: breaks and paragraphs become lines, entities decoded, tags gone", () => {
    expect(htmlToText("<p>a &amp; b &lt;c&gt;</p><p>line<br>two<br/>three</p><script>no</script>")).toBe(
      "a & b <c>\n\nline\ntwo\nthree",
    );
    expect(plainText("<b>Alice</b>\n <i>the</i>   tester")).toBe("Alice the tester");
  });
});

describe("sanitizing and reading text in one pass", () => {
  it("gives the sanitized HTML and the text htmlToText reads from the same markup", () => {
    const samples = [
      "<p>a &amp; b &lt;c&gt; &quot;q&quot;</p><p>line<br>two<br/>three</p><script>no</script>",
      '<p><span class="h-card"><a href="https://x/b" class="u-url mention">@<span>b</span></a></span> hi</p>',
      "<blockquote><p>quoted</p></blockquote><ul><li>one</li><li>two</li></ul><pre>x\n  y</pre>tail",
      '<div onclick="x()">div text</div><h1>title</h1><a href="javascript:alert(1)">bad</a> &nbsp;&#39;',
      "  <p>  padded  </p>  ",
    ];
    for (const html of samples) {
      expect(sanitizeWithText(html), html).toEqual({ html: sanitizeContent(html), text: htmlToText(html) });
    }
  });

  it("reads paragraphs the parser closes itself as paragraphs", () => {
    expect(sanitizeWithText("<p>one<p>two").text).toBe("one\n\ntwo");
    expect(sanitizeWithText('a<br class="x">b').text).toBe("a\nb");
  });
});

describe("sanitizing on a thread of its own", () => {
  const samples = [
    "<p>a &amp; b &lt;c&gt; &quot;q&quot;</p><p>line<br>two<br/>three</p><script>no</script>",
    '<p><span class="h-card mention invisible"><a href="https://x/b" class="u-url mention">@<span>b</span></a></span> hi</p>',
    '<a href="javascript:alert(1)">bad</a><a href="/relative">rel</a><a href="https://a.example/x?y=1&amp;z=2">ok</a>',
    '<img src="https://x/i.png" onerror="x()"><iframe src="https://x"></iframe><div onclick="x()">div</div>',
    "<blockquote><p>quoted</p></blockquote><ul><li>one</li></ul><pre>x\n  y</pre>tail &nbsp;&#39;",
    "plain text, no markup at all",
  ];

  it("answers exactly as sanitizing in place does, many bodies at once, each to its own caller", async () => {
    const threads = new SanitizerThreads({ thread: true });
    try {
      const bodies = Array.from({ length: 300 }, (_, i) => `${samples[i % samples.length]}<p>#${i}</p>`);
      const answers = await Promise.all(bodies.map((b) => threads.sanitizeWithText(b)));
      // The thread really did the work: it is running, and has not fallen back.
      expect(threads.threaded).toBe(true);
      expect(answers).toEqual(bodies.map((b) => sanitizeWithText(b)));
    } finally {
      await threads.close();
    }
    expect(threads.threaded).toBe(false);
  });

  it("two side by side in one process keep their own threads and answers", async () => {
    const a = new SanitizerThreads({ thread: true });
    const b = new SanitizerThreads({ thread: true });
    try {
      const [x, y] = await Promise.all([a.sanitizeWithText(samples[0]!), b.sanitizeWithText(samples[1]!)]);
      expect(x).toEqual(sanitizeWithText(samples[0]!));
      expect(y).toEqual(sanitizeWithText(samples[1]!));
      expect(a.threaded && b.threaded).toBe(true);
      await a.close();
      // One closing leaves the other working.
      expect(await b.sanitizeWithText(samples[2]!)).toEqual(sanitizeWithText(samples[2]!));
      expect(b.threaded).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("falls back to sanitizing in place when the thread cannot run, losing no body", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atoll-sanitizer-"));
    const broken = join(dir, "broken.cjs");
    writeFileSync(broken, 'throw new Error("no sanitizer here");\n');
    const errors: Error[] = [];
    const threads = new SanitizerThreads({ thread: true, lib: broken, onError: (e) => errors.push(e) });
    try {
      const answers = await Promise.all(samples.map((s) => threads.sanitizeWithText(s)));
      expect(answers).toEqual(samples.map((s) => sanitizeWithText(s)));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/sanitizer thread stopped: .*no sanitizer here/);
      expect(threads.threaded).toBe(false);
      // And from then on, in place.
      expect(await threads.sanitizeWithText(samples[3]!)).toEqual(sanitizeWithText(samples[3]!));
    } finally {
      await threads.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("remote objects as post text", () => {
  const inline = new SanitizerThreads({ thread: false });

  it("takes a thread's subject from the name, else from a first line followed by more text", async () => {
    expect(await noteText(inline, note({ name: "A <b>title</b>", content: "<p>body</p>" }), true, 4000)).toEqual({
      subject: "A title",
      comment: "body",
    });
    const mention =
      '<p><span class="h-card"><a href="https://x/b">@<span>b</span></a></span> Hello board</p><p>more</p>';
    const tag = { type: "Mention", href: "https://x/b", name: "@b@x" };
    const ours = (href: string) => href === "https://x/b";
    expect(await noteText(inline, note({ content: mention, tag }), true, 4000, ours)).toEqual({
      subject: "Hello board",
      comment: "more",
    });
    expect(await noteText(inline, note({ content: mention, tag }), false, 4000, ours)).toEqual({
      subject: null,
      comment: "Hello board\n\nmore",
    });
    // One line only: no subject, the line is the comment.
    expect(await noteText(inline, note({ content: "<p>just this</p>" }), true, 4000)).toEqual({
      subject: null,
      comment: "just this",
    });
  });

  it("puts a content warning on top, reads plain text and source, and cuts to the board's limit", async () => {
    const warned = await noteText(inline, note({ summary: "<b>spoilers</b>", content: "<p>text</p>" }), false, 4000);
    expect(warned.comment).toBe("spoilers\n\ntext");
    expect(await noteText(inline, note({ mediaType: "text/plain", content: "a <b>\nb" }), false, 4000)).toEqual({
      subject: null,
      comment: "a <b>\nb",
    });
    const source = await noteText(
      inline,
      note({ source: { content: "only source", mediaType: "text/markdown" } }),
      false,
      4000,
    );
    expect(source.comment).toBe("only source");
    const long = await noteText(inline, note({ content: `<p>${"x".repeat(50)}</p><script>y</script>` }), false, 10);
    expect(long).toEqual({ subject: null, comment: "x".repeat(10) });
  });

  it("sees a post as visible on a board when public or addressed to it", () => {
    const board = "https://atoll.example/ap/boards/b";
    expect(visibleOnBoard(note({ to: "as:Public" }), board)).toBe(true);
    expect(visibleOnBoard(note({ to: [board] }), board)).toBe(true);
    expect(visibleOnBoard(note({ tag: { type: "Mention", href: board } }), board)).toBe(true);
    expect(visibleOnBoard(note({ to: ["https://r.example/u/b"] }), board)).toBe(false);
  });
});
