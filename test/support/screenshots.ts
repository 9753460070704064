/*
 * Renders the README's screenshots: a test instance with two listed boards, a few threads with
 * pictures, quotes, greentext and a spoiler, photographed in headless Chromium at 1280×900 (the
 * viewport only, which keeps each file small) in the light and the dark theme.
 *
 *   npm run build && node dist/test/support/screenshots.js [output directory]
 *
 * The output directory defaults to docs/screenshots/ in the project. Not part of `npm test`.
 */
import { mkdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { chromium, type Page } from "playwright-core";
import { projectRoot } from "../../server/paths.js";
import { startTestInstance, type TestInstance } from "./instance.js";
import { picture } from "./pictures.js";

const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const VIEWPORT = { width: 1280, height: 900 };

interface Draft {
  sub?: string;
  name?: string;
  com: string;
  image?: number;
  spoiler?: boolean;
}

/** A port nobody listens on right now, so PUBLIC_URL (which the media links use) can name it. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function post(t: TestInstance, path: string, d: Draft): Promise<number> {
  const form = new FormData();
  form.set("com", d.com);
  if (d.sub) form.set("sub", d.sub);
  if (d.name) form.set("name", d.name);
  if (d.spoiler) form.set("spoiler", "on");
  if (d.image !== undefined) {
    const bytes = await picture(d.image, 800, 600);
    form.set("file", new Blob([new Uint8Array(bytes)], { type: "image/jpeg" }), `photo-${d.image}.jpg`);
  }
  const res = await fetch(`${t.url}/api/v1/boards/${path}`, { method: "POST", body: form });
  if (res.status !== 201) throw new Error(`posting to ${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { no: number }).no;
}

/** The sample boards and posts; returns the thread to photograph. */
async function seed(t: TestInstance): Promise<{ board: string; thread: number }> {
  await t.services.boards.create({ uri: "g", title: "Technology" });
  await t.services.boards.create({ uri: "p", title: "Photography" });
  const thread = async (board: string, d: Draft) => post(t, `${board}/threads`, d);
  const reply = async (board: string, op: number, d: Draft) => post(t, `${board}/threads/${op}/replies`, d);

  const p1 = await thread("p", { sub: "Golden hour", com: "Post your best sunset shots.", image: 11 });
  await reply("p", p1, { com: `>>${p1}\nShot this one on film last week.`, image: 12 });
  const p2 = await thread("p", { sub: "Lens advice", com: "Which prime for street photography?", image: 13 });
  await reply("p", p2, { com: "A 35mm, every time.\n>fifty is too tight indoors" });
  const p3 = await thread("p", { sub: "Film scans", com: "Negatives from the weekend.", image: 14, spoiler: true });

  await thread("g", { sub: "Retro computing", com: "Restored a 486 this winter. Ask me anything.", image: 26 });
  await thread("g", { com: "Is it worth learning Rust this year?", image: 28 });
  await thread("g", { sub: "Linux ricing", com: "Tiling window managers only.", image: 27 });
  await thread("g", { sub: "Desktop thread", com: "Show your setup.", image: 21 });
  await thread("g", { sub: "Home server", com: "What do you self-host?\n>inb4 a federated imageboard", image: 22 });
  const op = await thread("g", {
    sub: "Mechanical keyboards",
    com: "Finally built my first board. Hand-lubed switches, took all weekend.",
    image: 23,
  });
  const r1 = await reply("g", op, { com: `>>${op}\nNice. Which switches?\n>hand-lubed\nRespect.` });
  const r2 = await reply("g", op, {
    name: "builder",
    com: `>>${r1}\nLinear, 62 g. The ending of the build guide: [spoiler]the stabilisers rattle anyway[/spoiler]`,
    image: 24,
  });
  await reply("g", op, { com: `>>${r2}\n>>${r1}\nHow long did the lubing take?` });
  await reply("g", op, { com: ">buying pre-lubed\n>ever\nDoing it yourself is half the fun.", image: 25 });
  await reply("g", op, { com: `>>${op}\nPost a typing test when you can.` });
  // Bumped last, so the overboard opens with the other board's spoilered thread.
  await reply("p", p3, { com: `>>${p3}\nThe grain on these is lovely.`, image: 15 });
  return { board: "g", thread: op };
}

async function shoot(page: Page, url: string, file: string): Promise<void> {
  await page.goto(url, { waitUntil: "networkidle" });
  await page.screenshot({ path: file, fullPage: false });
  const { size } = await stat(file);
  console.log(`${file} (${Math.round(size / 1024)} KB)`);
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(projectRoot(), "docs", "screenshots"));
  await mkdir(out, { recursive: true });
  const port = await freePort();
  const t = await startTestInstance(
    { INSTANCE_NAME: "Atoll", PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
    { listen: true },
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const { board, thread } = await seed(t);
    for (const theme of ["light", "dark"] as const) {
      // The theme follows the system's preference unless the reader chose one; emulate the system.
      const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: theme });
      const page = await context.newPage();
      await shoot(page, `${t.url}/${board}/thread/${thread}`, join(out, `thread-${theme}.png`));
      await shoot(page, `${t.url}/${board}/catalog`, join(out, `catalog-${theme}.png`));
      await shoot(page, `${t.url}/overboard`, join(out, `overboard-${theme}.png`));
      await context.close();
    }
  } finally {
    await browser.close();
    await t.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
