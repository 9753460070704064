import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuiteTitle, hasChromium, launchChromium, pageProblems } from "../support/chromium.js";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const peerMissing = fedifyPeerUnavailable();
const title =
  peerMissing === null
    ? browserSuiteTitle("a federated reply in an open thread page")
    : `a federated reply in an open thread page (skipped: ${peerMissing})`;

/*
 * A thread page open in Chromium while another implementation (the Fedify peer) replies through the
 * board's inbox: the reply takes the inbound path, and the page shows it without a reload.
 */
describe.skipIf(!hasChromium || peerMissing !== null)(title, () => {
  let t: TestInstance;
  let peer: FedifyPeer;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestInstance(
      { PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on" },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    peer = await startFedifyPeer();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await peer?.stop();
    await t?.stop();
  });

  it("shows the peer's reply, quoting the OP, with its backlink and no errors", async () => {
    const op = (await t.services.posting.createThread({ board: "b", comment: "ask the fediverse", ip: "192.0.2.9" }))
      .no;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto(`${base}/b/thread/${op}`);
    await page.waitForFunction(`document.querySelector(".live-status")?.textContent === "Auto-update on"`);

    const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
      to: `${base}/ap/boards/b`,
      inReplyTo: `${base}/b/thread/${op}`,
      // A quote crosses federation as a link to the post (plain `>>N` text would name a post of the sender's).
      content: `<p><a href="${base}/b/thread/${op}#p${op}">&gt;&gt;${op}</a><br>an answer from fedify</p>`,
    });
    expect(sent.ok).toBe(true);
    const json = async () =>
      ((await (await fetch(`${base}/b/thread/${op}.json`)).json()) as { posts: Array<{ no: number; ap_id?: string }> })
        .posts;
    // Polled from here: the page's CSP forbids the evaluated predicates a polling wait would use.
    await expect
      .poll(() => page.$$eval(".thread .post", (posts) => posts.length), { timeout: 30_000, interval: 200 })
      .toBe(2);
    const stored = (await json()).find((p) => p.ap_id === sent.id);
    expect(stored).toBeDefined();
    const no = stored!.no;
    expect(await page.textContent(`#p${no} .comment`)).toContain("an answer from fedify");
    expect(await page.getAttribute(`#p${op} .backlinks a.backlink`, "href")).toBe(`/b/thread/${op}#p${no}`);
    // Still the page first loaded: the reply came over the stream, not through a reload.
    expect(page.url()).toBe(`${base}/b/thread/${op}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
