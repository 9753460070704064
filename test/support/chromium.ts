import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium, which `.ci/run` installs; browser tests are skipped, saying so, without it. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** The title of a browser test's suite, naming why it is skipped when Chromium is missing. */
export function browserSuiteTitle(what: string): string {
  return hasChromium ? what : `${what} (skipped: ${CHROMIUM} not installed)`;
}

/** Headless Chromium as the tests run it: no sandbox (root), no GPU, no background network calls. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
}

/** The script errors and console errors a page reports from now on, collected for a test to assert none. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(String(err)));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  return problems;
}
