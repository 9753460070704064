import { describe, expect, it } from "vitest";
import {
  escapeHtml,
  extractQuotes,
  type MarkupContext,
  normalizeComment,
  plainTextPreview,
  renderMarkup,
} from "../../server/domain/markup.js";
import { growthRatio } from "../support/growth.js";

/** Board "b" has posts 1 (an OP), 2 and 3 in thread 1 and 10 in thread 10; board "g" has post 5 in thread 4. */
const ctx: MarkupContext = {
  board: "b",
  threadOf: (no) => ({ 1: 1, 2: 1, 3: 1, 10: 10 })[no] ?? null,
  crossThreadOf: (board, no) => (board === "g" && no === 5 ? 4 : board === "b" ? ctx.threadOf(no) : null),
  boardExists: (board) => board === "b" || board === "g",
};

const html = (text: string) => renderMarkup(text, ctx).html;

const ALLOWED_TAGS = new Set(["a", "span", "s", "pre", "br"]);
const ALLOWED_OPEN = [
  /^<a href="\/[a-z0-9]+\/(thread\/\d+#p\d+)?" class="quotelink">$/,
  /^<a href="https?:\/\/[^"<>]*" rel="nofollow noopener noreferrer ugc" target="_blank">$/i,
  /^<span class="(quote|deadlink)">$/,
  /^<s>$/,
  /^<pre class="prettyprint">$/,
  /^<br>$/,
];

/**
 * Checks output the way a browser would be fooled: only the tags this module builds, properly nested,
 * and no markup characters in the text between them.
 */
function assertSafe(out: string): void {
  const stack: string[] = [];
  let last = 0;
  for (const m of out.matchAll(/<(\/?)([a-z]+)[^<>]*>/g)) {
    const between = out.slice(last, m.index);
    expect(between).not.toMatch(/[<>"']/);
    last = m.index + m[0].length;
    const [tag, closing, name] = [m[0], m[1], m[2]!];
    expect(ALLOWED_TAGS.has(name)).toBe(true);
    if (closing) {
      expect(tag).toBe(`</${name}>`);
      expect(stack.pop()).toBe(name);
    } else {
      expect(ALLOWED_OPEN.some((re) => re.test(tag))).toBe(true);
      if (name !== "br") stack.push(name);
    }
  }
  expect(out.slice(last)).not.toMatch(/[<>"']/);
  expect(stack).toEqual([]);
}

describe("escaping", () => {
  it("escapes the five HTML characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;");
  });

  it("escapes all user text", () => {
    expect(html(`Tom & Jerry say "hi" <3 it's`)).toBe("Tom &amp; Jerry say &quot;hi&quot; &lt;3 it&#039;s");
  });

  it("neutralises script and event-handler injection", () => {
    const attacks = [
      "<script>alert(1)</script>",
      '"><img src=x onerror=alert(1)>',
      "'><svg onload=alert(1)>",
      "javascript:alert(1)",
      "[spoiler]<script>x</script>[/spoiler]",
      "[code]</pre><script>alert(1)</script>[/code]",
      '>>1"><script>',
      '>>>/b/"onmouseover="alert(1)/',
      ">>>/<script>/1",
      "&lt;script&gt; already escaped",
      "<!-- comment --> <![CDATA[ x ]]>",
    ];
    for (const attack of attacks) {
      const out = html(attack);
      assertSafe(out);
      expect(out).not.toContain("<script");
      expect(out).not.toContain("<img");
      expect(out).not.toContain("<svg");
    }
    expect(html("<script>alert(1)</script>")).toBe("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html("&lt;")).toBe("&amp;lt;");
  });

  it("never links javascript:, data: or other schemes", () => {
    for (const text of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(document.cookie)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox",
      "mailto:a@example.com",
      "ftp://example.com/file",
      "//example.com/protocol-relative",
      "example.com",
      "www.example.com",
    ]) {
      const out = html(text);
      expect(out).not.toContain("<a ");
      expect(out).toBe(escapeHtml(text));
    }
  });

  it("keeps quotes in URLs inside the attribute", () => {
    const out = html('https://example.com/"onmouseover="alert(1)');
    assertSafe(out);
    expect(out).not.toContain('" onmouseover');
    expect(out).not.toMatch(/<a [^>]*\sonmouseover=/);
    const q = html("https://example.com/?q='x'&y=\"z\"");
    assertSafe(q);
    expect(q).toContain('href="https://example.com/?q=&#039;x&#039;&amp;y=&quot;z&quot;"');
  });
});

describe("lines", () => {
  it("turns line breaks into <br>, CRLF and CR included", () => {
    expect(html("a\nb")).toBe("a<br>b");
    expect(html("a\r\nb\rc")).toBe("a<br>b<br>c");
  });

  it("trims trailing whitespace and blank lines at both ends", () => {
    expect(html("\n\n  a  \t\nb   \n\n\n")).toBe("  a<br>b");
    expect(html(" \n \n ")).toBe("");
    expect(html("")).toBe("");
  });

  it("collapses runs of blank lines to two", () => {
    expect(html("a\n\n\n\n\n\nb")).toBe("a<br><br><br>b");
    expect(html("a\n\nb")).toBe("a<br><br>b");
    expect(html("a\n  \n \t \n\n\nb")).toBe("a<br><br><br>b");
  });

  it("drops control characters", () => {
    expect(html("a\u0000b\u0007c\u001bd\u0085e\tf")).toBe("abcde\tf");
  });
});

describe("greentext", () => {
  it("wraps a line starting with >", () => {
    expect(html(">be me")).toBe('<span class="quote">&gt;be me</span>');
    expect(html("hi\n>implying\nok")).toBe('hi<br><span class="quote">&gt;implying</span><br>ok');
    expect(html(">>not a quote")).toBe('<span class="quote">&gt;&gt;not a quote</span>');
    expect(html(">>>123")).toBe('<span class="quote">&gt;<span class="deadlink">&gt;&gt;123</span></span>');
  });

  it("applies only at the start of a line", () => {
    expect(html("a > b")).toBe("a &gt; b");
    expect(html(" >indented")).toBe(" &gt;indented");
  });

  it("does not apply to a line starting with a quote link", () => {
    expect(html(">>2 lol")).toBe('<a href="/b/thread/1#p2" class="quotelink">&gt;&gt;2</a> lol');
    expect(html(">>999 dead")).toBe('<span class="deadlink">&gt;&gt;999</span> dead');
    expect(html(">>>/g/5 there")).toBe('<a href="/g/thread/4#p5" class="quotelink">&gt;&gt;&gt;/g/5</a> there');
  });

  it("keeps links, quotes and spoilers working inside", () => {
    expect(html(">see >>2 and [spoiler]this[/spoiler] https://example.com")).toBe(
      '<span class="quote">&gt;see <a href="/b/thread/1#p2" class="quotelink">&gt;&gt;2</a> and <s>this</s> ' +
        '<a href="https://example.com" rel="nofollow noopener noreferrer ugc" target="_blank">https://example.com</a></span>',
    );
  });
});

describe("quote links", () => {
  it("links a known post on this board to its thread", () => {
    expect(renderMarkup(">>2", ctx)).toEqual({
      html: '<a href="/b/thread/1#p2" class="quotelink">&gt;&gt;2</a>',
      quotes: [2],
    });
    expect(html("see>>10, ok")).toBe('see<a href="/b/thread/10#p10" class="quotelink">&gt;&gt;10</a>, ok');
  });

  it("renders an unknown post dead and leaves it out of quotes", () => {
    expect(renderMarkup(">>999", ctx)).toEqual({ html: '<span class="deadlink">&gt;&gt;999</span>', quotes: [] });
  });

  it("lists distinct quoted posts in order", () => {
    expect(renderMarkup(">>3 >>2 >>3\n>>2 >>999 >>>/b/10", ctx).quotes).toEqual([3, 2, 10]);
  });

  it("links other boards and their posts, dead when unknown", () => {
    expect(html(">>>/g/5")).toBe('<a href="/g/thread/4#p5" class="quotelink">&gt;&gt;&gt;/g/5</a>');
    expect(html(">>>/g/6")).toBe('<span class="deadlink">&gt;&gt;&gt;/g/6</span>');
    expect(html(">>>/g/")).toBe('<a href="/g/" class="quotelink">&gt;&gt;&gt;/g/</a>');
    expect(html(">>>/nope/")).toBe('<span class="deadlink">&gt;&gt;&gt;/nope/</span>');
    expect(html(">>>/nope/1")).toBe('<span class="deadlink">&gt;&gt;&gt;/nope/1</span>');
    expect(html(">>>/b/2")).toBe('<a href="/b/thread/1#p2" class="quotelink">&gt;&gt;&gt;/b/2</a>');
    expect(renderMarkup(">>>/g/5", ctx).quotes).toEqual([]);
  });

  it("leaves malformed references as text", () => {
    expect(html("x >>>/g x")).toBe("x &gt;&gt;&gt;/g x");
    expect(html("x >>>/G/ x")).toBe("x &gt;&gt;&gt;/G/ x");
    expect(html("x >>abc")).toBe("x &gt;&gt;abc");
    expect(html(`x >>>/${"a".repeat(31)}/`)).toBe(`x &gt;&gt;&gt;/${"a".repeat(31)}/`);
    expect(html(`x >>${"1".repeat(16)}`)).toBe(`x &gt;&gt;${"1".repeat(16)}`);
  });

  it("uses the board from the context in the link", () => {
    const other: MarkupContext = { ...ctx, board: "g", threadOf: (no) => (no === 5 ? 4 : null) };
    expect(renderMarkup(">>5", other).html).toBe('<a href="/g/thread/4#p5" class="quotelink">&gt;&gt;5</a>');
  });
});

describe("spoilers", () => {
  it("renders [spoiler] and ** as <s>", () => {
    expect(html("a [spoiler]b[/spoiler] c")).toBe("a <s>b</s> c");
    expect(html("a **b** c")).toBe("a <s>b</s> c");
    expect(html("[SPOILER]loud[/Spoiler]")).toBe("<s>loud</s>");
  });

  it("leaves unbalanced tags as text", () => {
    expect(html("[spoiler]open")).toBe("[spoiler]open");
    expect(html("close[/spoiler]")).toBe("close[/spoiler]");
    expect(html("**a** **b")).toBe("<s>a</s> **b");
    expect(html("[spoiler]a[spoiler]b[/spoiler]")).toBe("[spoiler]a<s>b</s>");
    expect(html("2**3 = 8")).toBe("2**3 = 8");
  });

  it("nests", () => {
    expect(html("[spoiler]a[spoiler]b[/spoiler]c[/spoiler]")).toBe("<s>a<s>b</s>c</s>");
    expect(html("[spoiler]a **b** c[/spoiler]")).toBe("<s>a <s>b</s> c</s>");
    expect(html("**a [spoiler]b[/spoiler] c**")).toBe("<s>a <s>b</s> c</s>");
  });

  it("never produces crossed tags", () => {
    const crossed = html("**a[spoiler]b**c[/spoiler]");
    assertSafe(crossed);
    expect(crossed).toBe("**a<s>b**c</s>");
    assertSafe(html("[spoiler]a**b[/spoiler]c**"));
  });

  it("spans lines", () => {
    expect(html("[spoiler]a\nb[/spoiler]")).toBe("<s>a<br>b</s>");
    expect(html("**a\n\nb**")).toBe("<s>a<br><br>b</s>");
  });

  it("closes and reopens around greentext lines so tags nest", () => {
    const out = html("[spoiler]a\n>b\nc[/spoiler]");
    expect(out).toBe('<s>a<br></s><span class="quote"><s>&gt;b</s></span><br><s>c</s>');
    assertSafe(out);
    const inside = html(">a [spoiler]b\nc[/spoiler] d");
    expect(inside).toBe('<span class="quote">&gt;a <s>b</s></span><br><s>c</s> d');
    assertSafe(inside);
    assertSafe(html(">**a\n>b\n\n>c**\nd"));
  });
});

describe("code blocks", () => {
  it("renders a <pre> with no other markup inside", () => {
    expect(html("[code]>>2 **x** [spoiler]y[/spoiler] https://example.com <b>[/code]")).toBe(
      '<pre class="prettyprint">&gt;&gt;2 **x** [spoiler]y[/spoiler] https://example.com &lt;b&gt;</pre>',
    );
    expect(renderMarkup("[code]>>2[/code]", ctx).quotes).toEqual([]);
  });

  it("keeps line breaks and indentation, dropping the breaks next to the tags", () => {
    expect(html("[code]\nif (a) {\n  b();\n}\n[/code]")).toBe('<pre class="prettyprint">if (a) {<br>  b();<br>}</pre>');
    expect(html("[code]\n>greentext? no\n[/code]")).toBe('<pre class="prettyprint">&gt;greentext? no</pre>');
  });

  it("sits between text and ends a greentext line", () => {
    expect(html("before\n[code]x[/code]\nafter")).toBe('before<br><pre class="prettyprint">x</pre><br>after');
    const out = html(">green [code]x[/code] tail");
    expect(out).toBe('<span class="quote">&gt;green </span><pre class="prettyprint">x</pre> tail');
    assertSafe(out);
  });

  it("leaves an unclosed [code] as text and markup after it working", () => {
    expect(html("[code]x **y**")).toBe("[code]x <s>y</s>");
    expect(html("[/code] a")).toBe("[/code] a");
    expect(html("[CODE]x[/Code]")).toBe('<pre class="prettyprint">x</pre>');
  });

  it("ends spoilers opened before it", () => {
    const out = html("[spoiler]a[code]b[/code]c[/spoiler]");
    expect(out).toBe('[spoiler]a<pre class="prettyprint">b</pre>c[/spoiler]');
    assertSafe(out);
  });
});

describe("links", () => {
  it("links http and https URLs with a safe rel and a new tab", () => {
    expect(html("see https://example.com/a?b=1&c=2 now")).toBe(
      'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer ugc" target="_blank">' +
        "https://example.com/a?b=1&amp;c=2</a> now",
    );
    expect(html("http://example.org")).toContain('<a href="http://example.org"');
  });

  it("stops at the end of the URL", () => {
    expect(html("(https://example.com/x).")).toBe(
      '(<a href="https://example.com/x" rel="nofollow noopener noreferrer ugc" target="_blank">https://example.com/x</a>).',
    );
  });

  it("links several URLs on one line and across lines", () => {
    const out = html("https://a.example https://b.example\nhttps://c.example");
    expect(out.match(/<a /g)).toHaveLength(3);
    assertSafe(out);
  });

  it("links URLs inside spoilers without swallowing the tag", () => {
    expect(html("[spoiler]https://example.com[/spoiler]")).toBe(
      '<s><a href="https://example.com" rel="nofollow noopener noreferrer ugc" target="_blank">https://example.com</a></s>',
    );
  });
});

describe("extractQuotes", () => {
  it("collects distinct same-board and cross-board references in order", () => {
    expect(extractQuotes(">>3 >>1 >>3 >>>/g/5 >>>/g/ >>>/g/5 >>>/a/1")).toEqual({
      sameBoard: [3, 1],
      crossBoard: [
        { board: "g", no: 5 },
        { board: "g", no: null },
        { board: "a", no: 1 },
      ],
    });
  });

  it("ignores code blocks and malformed references", () => {
    expect(extractQuotes("[code]>>1 >>>/g/2[/code] >>abc >>>/G/1")).toEqual({ sameBoard: [], crossBoard: [] });
  });

  it("finds quotes inside greentext and spoilers", () => {
    expect(extractQuotes(">>>2\n[spoiler]>>4[/spoiler]").sameBoard).toEqual([2, 4]);
  });
});

describe("plainTextPreview", () => {
  it("never shows a spoiler's text, however the tags nest or fail to", () => {
    expect(
      plainTextPreview("the killer is [spoiler]the butler [spoiler]and his **dog**[/spoiler][/spoiler]!", 100),
    ).toBe("the killer is [spoiler]!");
    // An unpaired tag hides nothing on the page either; here it is dropped.
    expect(plainTextPreview("a [/spoiler]b **not closed\nline", 100)).toBe("a b not closed line");
    // Code blocks show their text; quotes stay.
    expect(plainTextPreview(">>12 [spoiler]x[/spoiler][code]y[/code] z", 100)).toBe(">>12 [spoiler] y z");
  });

  it("strips markup tags and collapses whitespace", () => {
    expect(plainTextPreview("[spoiler]hidden[/spoiler]   and **also hidden**\n\n>green", 100)).toBe(
      "[spoiler] and [spoiler] >green",
    );
    expect(plainTextPreview("a[code]b[/code]c", 100)).toBe("a b c");
  });

  it("truncates with an ellipsis within the limit", () => {
    expect(plainTextPreview("hello world, how are you", 11)).toBe("hello worl…");
    expect(plainTextPreview("hello world, how are you", 11).length).toBeLessThanOrEqual(11);
    expect(plainTextPreview("short", 5)).toBe("short");
    expect(plainTextPreview("anything", 0)).toBe("");
  });

  it("does not split characters outside the BMP", () => {
    const out = plainTextPreview("😀😀😀😀😀😀", 4);
    expect(Array.from(out)).toEqual(["😀", "😀", "😀", "…"]);
  });

  it("returns text, not HTML", () => {
    expect(plainTextPreview("<b>&</b>", 20)).toBe("<b>&</b>");
  });
});

describe("normalizeComment", () => {
  it("is what renderMarkup renders", () => {
    expect(normalizeComment("\r\n a \r\n\r\n\r\n\r\nb\u0000  \n")).toBe(" a\n\n\nb");
  });
});

describe("robustness", () => {
  /** `unit` repeated to about `chars` characters. */
  const rep = (unit: string, chars: number) => unit.repeat(Math.max(1, Math.floor(chars / unit.length)));
  /** Inputs that make naive parsers backtrack or rescan, each built at a given length. */
  const pathological: Array<(chars: number) => string> = [
    (n) => rep("*", n),
    (n) => rep("[spoiler]", n),
    (n) => rep("[/spoiler]", n),
    (n) => rep("[code]", n),
    (n) => rep("[spoiler]**", n),
    (n) => rep(">", n),
    (n) => rep(">>", n),
    (n) => `>>${rep("9", n - 2)}`,
    (n) => rep(">>>/", n),
    (n) => `>>>/${rep("a", n - 4)}`,
    (n) => rep("https://", n),
    (n) => `https://example.com/${rep("(", n - 20)}`,
    (n) => `https://${rep("a.", n - 8)}`,
    (n) => rep("\n", n),
    (n) => rep("> \n", n),
    (n) => rep("**\n>", n),
    (n) => rep("[", n),
    (n) => rep("a", n),
    (n) => rep("http://a.b/?", n),
  ];
  const everything = (text: string) => {
    renderMarkup(text, ctx);
    extractQuotes(text);
    plainTextPreview(text, 120);
  };

  it("renders 4000-character pathological inputs safely", () => {
    for (const make of pathological) assertSafe(renderMarkup(make(4000), ctx).html);
  });

  it("takes time linear in the length of pathological inputs", async () => {
    // Linear work gives about 4 for four times the input; quadratic rescanning gives about 16.
    for (const make of pathological) {
      const inputs = new Map([1000, 4000].map((n) => [n, make(n)]));
      const ratio = await growthRatio((n) => {
        for (let i = 0; i < 20; i++) everything(inputs.get(n)!);
      }, 1000);
      expect(ratio, make(12)).toBeLessThan(10);
    }
  });

  it("renders random markup soup to well-formed, safe HTML", () => {
    const pieces = [
      "a",
      " ",
      "\n",
      "\r\n",
      ">",
      ">>2",
      ">>999",
      ">>>/g/5",
      ">>>/g/",
      "[spoiler]",
      "[/spoiler]",
      "**",
      "[code]",
      "[/code]",
      "https://example.com/x",
      "<",
      '"',
      "'",
      "&",
      "javascript:",
    ];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 500; round++) {
      let text = "";
      const length = next() % 40;
      for (let k = 0; k < length; k++) text += pieces[next() % pieces.length];
      assertSafe(renderMarkup(text, ctx).html);
    }
  });

  it("handles a normal post in time linear in its length", async () => {
    const line = ">>2 look at this https://example.com/path?x=1 [spoiler]secret[/spoiler] **bold** & <tags>\n";
    const texts = new Map([1000, 4000].map((n) => [n, line.repeat(Math.floor(n / line.length))]));
    const ratio = await growthRatio((n) => {
      for (let i = 0; i < 20; i++) renderMarkup(texts.get(n)!, ctx);
    }, 1000);
    expect(ratio).toBeLessThan(10);
  });
});
