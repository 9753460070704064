import { createServer } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuiteTitle, hasChromium, launchChromium } from "../support/chromium.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const OP_PASSWORD = "op-password-1";
const title = browserSuiteTitle(
  "poster tools in headless Chromium: watcher, (You), (OP), sage, hide, hover, top form, quick reply",
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasChromium)(title, () => {
  let instance: TestInstance;
  let browser: Browser;
  let base: string;

  /** A reply through the HTTP API, as another poster would make it. */
  async function apiReply(thread: number, com: string, email?: string): Promise<number> {
    const form = new FormData();
    form.set("com", com);
    if (email) form.set("email", email);
    const res = await fetch(`${base}/api/v1/boards/b/threads/${thread}/replies`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { no: number };
    return body.no;
  }

  async function newThread(subject: string): Promise<number> {
    const op = await instance.services.posting.createThread({
      board: "b",
      subject,
      comment: `${subject} body`,
      file: { buffer: await makeJpeg(320, 240), originalName: "op.jpg" },
      ip: "10.9.9.9",
      password: OP_PASSWORD,
    });
    return op.no;
  }

  /** A page whose console errors and uncaught exceptions are collected. */
  async function watchedPage(context: BrowserContext, problems: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (err) => problems.push(String(err)));
    return page;
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    instance = await startTestInstance({ PORT: String(port), PUBLIC_URL: base }, { listen: true });
    await instance.services.boards.create({ uri: "b", title: "Random" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it("watches a thread: listed in the panel, a reply counts as unread, a visit reads it", async () => {
    const threadNo = await newThread("Watched thread");
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await watchedPage(context, problems);
    await page.goto(`${base}/b/thread/${threadNo}`);
    expect(await page.isVisible("#watcher")).toBe(false);
    // The test hook: check every second instead of every minute.
    await page.evaluate(`localStorage.setItem("atoll-settings", '{"watchInterval":1}')`);
    await page.goto(`${base}/b/catalog`);
    await page.click(`#c${threadNo} .watch-toggle`);
    const item = `#watcher li[data-board="b"][data-no="${threadNo}"]`;
    await page.waitForSelector(item);
    expect(await page.textContent(item)).toContain("Watched thread");
    expect(await page.textContent(`#c${threadNo} .watch-toggle`)).toBe("[Unwatch]");
    expect(await page.locator(`${item} .unread`).count()).toBe(0);

    await apiReply(threadNo, "a reply the watcher counts");
    await page.waitForSelector(`${item} .unread`);
    expect(await page.textContent(`${item} .unread`)).toBe("(1)");

    // Opening the thread marks it read; the panel follows on every page.
    await page.click(`${item} a`);
    await page.waitForURL(`${base}/b/thread/${threadNo}`);
    await page.goto(`${base}/b/`);
    await page.waitForSelector(item);
    expect(await page.locator(`${item} .unread`).count()).toBe(0);
    expect(await page.textContent(`#p${threadNo} .watch-toggle`)).toBe("[Unwatch]");

    expect(problems).toEqual([]);

    // A thread that is gone is marked so (the browser logs the 404 it met finding out).
    await instance.services.posting.deleteOwn("b", threadNo, OP_PASSWORD, false);
    await page.waitForSelector(`${item}.watched-404`);
    expect(await page.textContent(`${item} .watch-status`)).toBe("(404)");
    await context.close();
  });

  it("marks (You) on a post made through the form and on replies quoting it, and (OP) and sage", async () => {
    const threadNo = await newThread("Markers");
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await watchedPage(context, problems);
    await page.goto(`${base}/b/thread/${threadNo}`);
    expect(await page.isVisible("#f-com")).toBe(false);
    await page.click("#reply > summary");
    await page.fill("#f-com", "mine, from the form");
    await Promise.all([page.waitForURL(/#p\d+$/), page.click("#post-form button[type=submit]")]);
    const mine = Number(/#p(\d+)$/.exec(page.url())?.[1]);
    expect(mine).toBeGreaterThan(threadNo);
    expect(await page.textContent(`#p${mine} .you-label`)).toBe(" (You)");
    expect(await page.locator(`#p${threadNo} .you-label`).count()).toBe(0);

    const quoting = await apiReply(threadNo, `>>${mine}\nreplying to you`);
    const quotingOp = await apiReply(threadNo, `>>${threadNo}\nreplying to the OP`, "sage");
    await page.reload();
    expect(await page.textContent(`#p${quoting} .comment`)).toContain(`>>${mine} (You)`);
    expect(await page.locator(`#p${quoting} .you-label`).count()).toBe(0);
    expect(await page.textContent(`#p${quotingOp} .comment`)).toContain(`>>${threadNo} (OP)`);
    expect(await page.textContent(`#p${quotingOp} .sage`)).toBe("(sage)");
    expect(await page.locator(`#p${quoting} .sage`).count()).toBe(0);
    // Another browser made none of these.
    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    await other.goto(`${base}/b/thread/${threadNo}`);
    expect(await other.locator(".you-label, .you-mark").count()).toBe(0);
    expect(await other.locator(".op-mark").count()).toBe(1);
    await stranger.close();
    expect(problems).toEqual([]);
    await context.close();
  });

  it("hides a post and a thread, kept over a reload, and shows them again", async () => {
    const threadNo = await newThread("Hiding");
    const reply = await apiReply(threadNo, "hide me please");
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/b/thread/${threadNo}`);
    await page.click(`#p${reply} .hide-toggle`);
    expect(await page.isVisible(`#p${reply} .comment`)).toBe(false);
    await page.reload();
    expect(await page.getAttribute(`#p${reply}`, "class")).toContain("post-hidden");
    expect(await page.isVisible(`#p${reply} .comment`)).toBe(false);
    expect(await page.isVisible(`#p${reply} .post-head`)).toBe(true);
    await page.click(`#p${reply} .hide-toggle`);
    expect(await page.isVisible(`#p${reply} .comment`)).toBe(true);
    await page.reload();
    expect(await page.isVisible(`#p${reply} .comment`)).toBe(true);

    // On the index, hiding the first post folds the whole thread.
    await page.goto(`${base}/b/`);
    await page.click(`#p${threadNo} .hide-toggle`);
    await page.reload();
    expect(await page.isVisible(`#p${threadNo} .post-head`)).toBe(true);
    expect(await page.isVisible(`#p${threadNo} .comment`)).toBe(false);
    expect(await page.isVisible(`#p${reply}`)).toBe(false);
    await context.close();
  });

  it("shows the full image when hovering a thumbnail", async () => {
    const threadNo = await newThread("Hover");
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/b/thread/${threadNo}`);
    const full = await page.getAttribute(`#p${threadNo} a.file-thumb`, "href");
    await page.hover(`#p${threadNo} a.file-thumb img`);
    await page.waitForSelector(".hover-image img");
    expect(await page.getAttribute(".hover-image img", "src")).toBe(full);
    const box = await page.locator(".hover-image").boundingBox();
    expect(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1200 && box.y + box.height <= 900).toBe(true);
    await page.mouse.move(1, 1);
    await page.waitForSelector(".hover-image", { state: "detached" });
    // Turned off in the options, it stays off.
    await page.evaluate(`localStorage.setItem("atoll-settings", '{"hover":false}')`);
    await page.reload();
    await page.hover(`#p${threadNo} a.file-thumb img`);
    expect(await page.locator(".hover-image").count()).toBe(0);
    await context.close();
  });

  it("posts a quick reply from a post number on the index page", async () => {
    const threadNo = await newThread("Quick");
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await watchedPage(context, problems);
    await page.goto(`${base}/b/`);
    await page.click(`#p${threadNo} a.quote-no`);
    await page.waitForSelector(".quick-reply #qr-form");
    expect(await page.getAttribute("#qr-form", "action")).toBe(`/b/thread/${threadNo}/reply`);
    expect(await page.inputValue("#qr-f-com")).toBe(`>>${threadNo}\n`);
    expect(await page.locator("#qr-f-sub").count()).toBe(0);
    await page.type("#qr-f-com", "quick from the index");
    await Promise.all([
      page.waitForURL(new RegExp(`/b/thread/${threadNo}#p\\d+$`)),
      page.click("#qr-form button[type=submit]"),
    ]);
    const no = Number(/#p(\d+)$/.exec(page.url())?.[1]);
    await page.waitForSelector(`#p${no}`);
    expect(await page.textContent(`#p${no} .comment`)).toContain("quick from the index");
    expect(await page.textContent(`#p${no} .you-label`)).toBe(" (You)");

    // An error is shown in the form, which keeps what was typed.
    await page.click(`#p${no} a.quote-no`);
    await page.evaluate(`document.querySelector("#qr-f-com").removeAttribute("maxlength")`);
    await page.fill("#qr-f-com", "x".repeat(5000));
    await page.click("#qr-form button[type=submit]");
    await page.waitForSelector(".qr-status.error");
    expect(await page.textContent(".qr-status.error")).toMatch(/comment|long|4000/i);
    expect((await page.inputValue("#qr-f-com")).length).toBe(5000);
    expect(problems.filter((p) => !/status of 4\d\d/.test(p))).toEqual([]);
    await context.close();
  });

  it("reaches the folded reply form without JavaScript and posts a reply", async () => {
    const threadNo = await newThread("No script");
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/b/thread/${threadNo}`);
    expect(await page.isVisible("#f-com")).toBe(false);
    expect(await page.textContent("#reply > summary")).toBe("[Post a Reply]");
    await page.click("#reply > summary");
    await page.fill("#f-com", "replied without a script");
    await Promise.all([page.waitForURL(/#p\d+$/), page.click("#post-form button[type=submit]")]);
    const no = Number(/#p(\d+)$/.exec(page.url())?.[1]);
    expect(await page.textContent(`#p${no} .comment`)).toContain("replied without a script");
    // None of the script-made controls are there.
    expect(await page.locator(".hide-toggle, .watch-toggle, #watcher, .options-toggle").count()).toBe(0);
    await page.goto(`${base}/b/catalog`);
    expect(await page.textContent("#new-thread > summary")).toBe("[Start a New Thread]");
    await context.close();
  });
});
