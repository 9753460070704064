import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? "the web interface in headless Chromium"
  : `the web interface in headless Chromium (skipped: ${CHROMIUM} not installed)`;

/** A port nobody listens on right now, so PUBLIC_URL can name it before the server starts. */
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

/** The natural width of an image element (the project's type-check has no DOM library). */
const naturalWidth = (img: unknown) => (img as { naturalWidth: number }).naturalWidth;

/** Waits until the image matched by `selector` has loaded real pixels. */
async function expectImageLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    `(() => { const img = document.querySelector(${JSON.stringify(selector)}); return !!img && img.complete && img.naturalWidth > 0; })()`,
  );
  expect(await page.$eval(selector, naturalWidth)).toBeGreaterThan(0);
}

describe.skipIf(!hasChromium)(title, () => {
  let instance: TestInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    instance = await startTestInstance({ PORT: String(port), PUBLIC_URL: base }, { listen: true });
    await instance.services.boards.create({ uri: "b", title: "Random", description: "Anything goes" });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it("posts a thread and a quoting reply, with previews, expansion and no console errors", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (err) => problems.push(String(err)));

    // New thread through the form on the board index.
    await page.goto(`${base}/b/`);
    await page.click("#new-thread > summary");
    await page.fill("#f-sub", "Browser thread");
    await page.fill("#f-com", "Hello from Chromium\n>greentext line");
    await page.setInputFiles("#f-file", {
      name: "photo.jpg",
      mimeType: "image/jpeg",
      buffer: await makeJpeg(640, 480),
    });
    await Promise.all([page.waitForURL(/\/b\/thread\/\d+$/), page.click("#post-form button[type=submit]")]);
    const threadNo = Number(/(\d+)$/.exec(page.url())?.[1]);
    expect(threadNo).toBeGreaterThan(0);
    expect(await page.textContent(".op .subject")).toBe("Browser thread");
    expect(await page.textContent(".op .comment")).toContain("Hello from Chromium");
    expect(await page.textContent(".op .comment .quote")).toBe(">greentext line");
    await expectImageLoaded(page, ".op .file-thumb img");

    // The index and the catalog show it.
    await page.goto(`${base}/b/`);
    expect(await page.textContent(`#p${threadNo} .subject`)).toBe("Browser thread");
    await page.goto(`${base}/b/catalog`);
    expect(await page.textContent(".catalog-thread .subject")).toBe("Browser thread");
    await expectImageLoaded(page, ".catalog-thumb img");

    // Click-to-quote opens the quick reply with the quote; the reply quotes the OP.
    await page.goto(`${base}/b/thread/${threadNo}`);
    await page.click(`#p${threadNo} a.quote-no`);
    expect(await page.inputValue("#qr-f-com")).toBe(`>>${threadNo}\n`);
    expect(new URL(page.url()).hash).toBe("");
    await page.type("#qr-f-com", "Nice thread");
    await Promise.all([page.waitForURL(/#p\d+$/), page.click("#qr-form button[type=submit]")]);
    const replyNo = Number(/#p(\d+)$/.exec(page.url())?.[1]);
    expect(replyNo).toBeGreaterThan(threadNo);
    expect(await page.textContent(`#p${replyNo} .comment`)).toContain("Nice thread");
    expect(await page.textContent(`#p${threadNo} .backlinks`)).toContain(`>>${replyNo}`);

    // Hovering the quote shows a preview of the OP.
    await page.hover(`#p${replyNo} .comment a.quotelink`);
    await page.waitForSelector(".quote-preview .post");
    expect(await page.textContent(".quote-preview")).toContain("Hello from Chromium");
    await page.mouse.move(5, 5);
    await page.waitForSelector(".quote-preview", { state: "detached" });

    await page.screenshot({ path: "/tmp/atoll-thread.png", fullPage: true });

    // Clicking the thumbnail expands the full image in place, and again collapses it.
    await page.click(`#p${threadNo} a.file-thumb`);
    await page.waitForSelector(`#p${threadNo} a.file-thumb.expanded`);
    await expectImageLoaded(page, `#p${threadNo} a.file-thumb img`);
    expect(await page.$eval(`#p${threadNo} a.file-thumb img`, naturalWidth)).toBe(640);
    await page.click(`#p${threadNo} a.file-thumb`);
    await page.waitForSelector(`#p${threadNo} a.file-thumb:not(.expanded)`);

    // The theme switch sticks across pages.
    await page.click(".theme-toggle");
    const theme = await page.getAttribute("html", "data-theme");
    expect(theme === "dark" || theme === "light").toBe(true);
    await page.reload();
    expect(await page.getAttribute("html", "data-theme")).toBe(theme);

    // A quote link (#q) opens the reply form at the top with the quote.
    await page.goto(`${base}/b/thread/${threadNo}#q${replyNo}`);
    expect(await page.isVisible("#f-com")).toBe(true);
    expect(await page.inputValue("#f-com")).toBe(`>>${replyNo}\n`);

    // A quote of a post in another thread is previewed from that thread's JSON.
    const other = await instance.services.posting.createThread({
      board: "b",
      subject: "Cross-thread",
      comment: `>>${replyNo}\nsee that`,
      file: { buffer: await makeJpeg(120, 90), originalName: "x.jpg" },
      ip: "10.7.7.7",
    });
    await page.goto(`${base}/b/thread/${other.no}`);
    await page.hover(`#p${other.no} .comment a.quotelink`);
    await page.waitForFunction(`document.querySelector(".quote-preview")?.textContent.includes("Nice thread")`);
    expect(await page.textContent(".quote-preview .post-head")).toContain(`No.${replyNo}`);
    expect(await page.$$eval(".quote-preview .comment a.quotelink", (links) => links.length)).toBe(1);

    expect(problems).toEqual([]);
    await context.close();
  });

  it("works without JavaScript", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/b/`);
    await page.click("#new-thread > summary");
    await page.fill("#f-com", "No script here");
    await page.setInputFiles("#f-file", { name: "plain.jpg", mimeType: "image/jpeg", buffer: await makeJpeg(100, 80) });
    await Promise.all([page.waitForURL(/\/b\/thread\/\d+$/), page.click("#post-form button[type=submit]")]);
    expect(await page.textContent(".op .comment")).toContain("No script here");
    // The quote number is a plain link to the reply form.
    const href = await page.getAttribute(".op a.quote-no", "href");
    expect(href).toMatch(/^\/b\/thread\/\d+#q\d+$/);
    await context.close();
  });

  it("shows the theme switch only where it works: hidden without JavaScript, switching with it", async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const plain = await noScript.newPage();
    await plain.goto(`${base}/b/`);
    expect(await plain.locator(".theme-toggle").count()).toBe(1);
    expect(await plain.isVisible(".theme-toggle")).toBe(false);
    await noScript.close();

    const context = await browser.newContext({ colorScheme: "light" });
    const page = await context.newPage();
    await page.goto(`${base}/b/`);
    await page.waitForSelector(".theme-toggle", { state: "visible" });
    expect(await page.textContent(".theme-toggle")).toBe("Dark theme");
    await page.click(".theme-toggle");
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    // The choice holds on the next page.
    await page.goto(`${base}/about`);
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await page.textContent(".theme-toggle")).toBe("Light theme");
    await context.close();
  });
});
