import { createServer } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuiteTitle, hasChromium, launchChromium } from "../support/chromium.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const title = browserSuiteTitle("the staff controls in headless Chromium");
const PASSWORD = "correct horse battery";

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

describe.skipIf(!hasChromium)(title, () => {
  let instance: TestInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    instance = await startTestInstance({ PORT: String(port), PUBLIC_URL: base }, { listen: true });
    await instance.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("vol", PASSWORD, "board_volunteer", ["b"]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it("a signed-in moderator deletes a reply from the thread page", async () => {
    const op = await instance.services.posting.createThread({ board: "b", comment: "op text", ip: "203.0.113.7" });
    const reply = await instance.services.posting.createReply({
      board: "b",
      threadNo: op.no,
      comment: "spam spam spam",
      ip: "203.0.113.8",
    });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(String(err)));

    // A reader's page has no controls.
    await page.goto(`${base}/b/thread/${op.no}`);
    expect(await page.locator(".staff-controls").count()).toBe(0);

    await page.goto(`${base}/admin`);
    await page.fill('input[name="username"]', "vol");
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type="submit"]')]);

    await page.goto(`${base}/b/thread/${op.no}`);
    const controls = page.locator(`#p${reply.no} details.staff-controls`);
    await controls.locator("summary").click();
    await Promise.all([page.waitForURL(`${base}/b/thread/${op.no}`), controls.locator("button.staff-delete").click()]);
    expect(await page.locator(`#p${reply.no}`).count()).toBe(0);
    expect(await page.locator(`#p${op.no}`).count()).toBe(1);
    expect(await instance.services.store.posts.getPost("b", reply.no)).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });
});
