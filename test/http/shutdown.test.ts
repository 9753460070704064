import { rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { openStore } from "../../storage/open.js";
import { startTestInstance } from "../support/instance.js";

vi.setConfig({ testTimeout: 120_000 });

const BOUNDARY = "----atoll-shutdown";

/**
 * A multipart post whose body arrives in two parts, as a slow upload's would. `seen` resolves once
 * the server has taken the request (it answered `Expect: 100-continue`); `finish()` sends the rest.
 */
function slowPost(url: string, path: string) {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="com"\r\n\r\n`;
  const tail = `a slow post\r\n--${BOUNDARY}--\r\n`;
  const req = httpRequest(`${url}${path}`, {
    method: "POST",
    headers: {
      "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
      "content-length": Buffer.byteLength(head + tail),
      expect: "100-continue",
    },
  });
  const answered = new Promise<{ status: number } | Error>((resolve) => {
    req.once("response", (res) => {
      res.resume();
      res.once("end", () => resolve({ status: res.statusCode ?? 0 }));
      res.once("error", resolve);
    });
    req.once("error", resolve);
  });
  const seen = new Promise<void>((resolve) =>
    req.once("continue", () => {
      req.write(head);
      resolve();
    }),
  );
  req.flushHeaders();
  return { seen, answered, finish: () => req.end(tail) };
}

describe("shutdown", () => {
  it("lets a request finish within the grace, and logs one still running when it ends as cut", async () => {
    const lines: string[] = [];
    const t = await startTestInstance({}, { listen: true, logger: createLogger("info", (l) => lines.push(l)) });
    try {
      for (const uri of ["b", "c"]) {
        await t.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
      }
      const finishing = slowPost(t.url, "/api/v1/boards/b/threads");
      const stuck = slowPost(t.url, "/api/v1/boards/c/threads?password=hunter2");
      await Promise.all([finishing.seen, stuck.seen]);

      // Long enough for the finishing post on a busy machine; the stuck one waits it out.
      const graceMs = 5000;
      const closed = t.close(graceMs);
      // One finishes within the grace and gets its answer; the other never sends the rest.
      finishing.finish();
      expect(await finishing.answered).toEqual({ status: 201 });
      await closed;
      expect(await stuck.answered).toBeInstanceOf(Error);

      const cut = lines.filter((l) => l.includes("request cut at shutdown")).map((l) => JSON.parse(l));
      expect(cut).toHaveLength(1);
      expect(cut[0]).toMatchObject({ level: "warn", method: "POST", path: "/api/v1/boards/c/threads" });
      // It ran from before the shutdown to the end of the grace at least.
      expect(cut[0].ms).toBeGreaterThanOrEqual(graceMs);
      // Neither the query nor the client's address is logged.
      const logged = lines.join("");
      expect(logged).not.toContain("hunter2");
      expect(logged).not.toContain("127.0.0.1");

      // The post that finished was written; the cut one was not.
      const again = await openStore({ dataDir: t.dataDir, mongodbUrl: null });
      try {
        expect(await again.posts.countThreads("b", false)).toBe(1);
        expect(await again.posts.countThreads("c", false)).toBe(0);
      } finally {
        await again.close();
      }
    } finally {
      await rm(t.dataDir, { recursive: true, force: true });
    }
  });
});
