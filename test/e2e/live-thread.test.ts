import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuiteTitle, hasChromium, launchChromium, pageProblems } from "../support/chromium.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "a".repeat(32);
const title = browserSuiteTitle("live threads in headless Chromium");

/*
 * A thread page open in Chromium follows the thread: a reply posted through the API appears without
 * a reload, with its backlink on the post it quotes, and counts in the title while the page is away.
 */
describe.skipIf(!hasChromium)(title, () => {
  let t: TestInstance;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN }, { listen: true });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const reply = async (op: number, com: string) => {
    const form = new FormData();
    form.set("com", com);
    const res = await fetch(`${t.url}/api/v1/boards/b/threads/${op}/replies`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    return ((await res.json()) as { no: number }).no;
  };

  it("inserts a reply from the API with its backlink, and counts unseen replies in the title", async () => {
    const op = (await t.services.posting.createThread({ board: "b", comment: "watch me", ip: "192.0.2.5" })).no;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto(`${t.url}/b/thread/${op}`);
    await page.waitForFunction(`document.querySelector(".live-status")?.textContent === "Auto-update on"`);
    const baseTitle = await page.title();

    const no = await reply(op, `>>${op}\nlive reply`);
    await page.waitForSelector(`#p${no}`);
    expect(await page.textContent(`#p${no} .comment`)).toContain("live reply");
    expect(await page.getAttribute(`#p${op} .backlinks a.backlink`, "href")).toBe(`/b/thread/${op}#p${no}`);
    // The inserted post is the server's own markup: its quote link previews the OP on hover.
    await page.hover(`#p${no} .comment a.quotelink`);
    await page.waitForSelector(".quote-preview");
    expect(page.url()).toBe(`${t.url}/b/thread/${op}`);

    // Away from the page (hidden, unfocused): new replies count in the title; coming back clears it.
    await page.evaluate(`(() => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.hasFocus = () => false;
      document.dispatchEvent(new Event("visibilitychange"));
    })()`);
    const more = [await reply(op, "second"), await reply(op, "third")];
    await page.waitForSelector(`#p${more[1]}`);
    await page.waitForFunction(`document.title === ${JSON.stringify(`(2) ${baseTitle}`)}`);
    await page.evaluate(`(() => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
      document.hasFocus = () => true;
      document.dispatchEvent(new Event("visibilitychange"));
      window.dispatchEvent(new Event("focus"));
    })()`);
    await page.waitForFunction(`document.title === ${JSON.stringify(baseTitle)}`);

    // A staff deletion marks the post in place.
    await t.services.posting.deleteRemote("b", more[0]!);
    await page.waitForSelector(`#p${more[0]}.deleted`);
    expect(await page.$$eval(".thread .post", (posts) => posts.length)).toBe(4);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("marks a reply deleted while the stream was down once it reconnects", async () => {
    const op = (await t.services.posting.createThread({ board: "b", comment: "flaky wifi", ip: "192.0.2.7" })).no;
    const kept = await reply(op, "stays");
    const gone = await reply(op, "goes while away");
    const context = await browser.newContext();
    const page = await context.newPage();
    // Keeps the page's event streams reachable, so the test can drop the connection as a network would.
    await page.addInitScript(`(() => {
      const Real = window.EventSource;
      window.__streams = [];
      window.EventSource = class extends Real {
        constructor(...args) { super(...args); window.__streams.push(this); }
      };
    })()`);
    await page.goto(`${t.url}/b/thread/${op}`);
    await page.waitForFunction(`document.querySelector(".live-status")?.textContent === "Auto-update on"`);

    // The stream drops and cannot come back while the events URL is unreachable.
    await page.route("**/events?*", (route) => route.abort("internetdisconnected"));
    await page.evaluate(`(() => {
      const s = window.__streams.at(-1);
      s.close();
      s.dispatchEvent(new Event("error"));
    })()`);
    await page.waitForFunction(`document.querySelector(".live-status")?.textContent !== "Auto-update on"`);
    const del = await fetch(`${t.url}/api/v1/admin/boards/b/posts/${gone}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(del.status).toBeLessThan(300);
    expect(await page.$(`#p${gone}.deleted`)).toBeNull();

    await page.unroute("**/events?*");
    await page.waitForSelector(`#p${gone}.deleted .badge-deleted`);
    expect(await page.$(`#p${kept}.deleted`)).toBeNull();
    expect(await page.$(`#p${op}.deleted`)).toBeNull();
    expect(await page.textContent(".live-status")).toBe("Auto-update on");
    await context.close();
  });

  it("reloads at the first unread reply from the Update link without JavaScript", async () => {
    const op = (await t.services.posting.createThread({ board: "b", comment: "no js", ip: "192.0.2.6" })).no;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${t.url}/b/thread/${op}`);
    const no = await reply(op, "while you read");
    expect(await page.$(`#p${no}`)).toBeNull();
    await page.click(".live-bottom a.update-link");
    await page.waitForSelector(`#p${no}`);
    expect(page.url()).toBe(`${t.url}/b/thread/${op}#p${no}`);
    await context.close();
  });
});
