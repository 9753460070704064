import { readFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staticDir } from "../../server/paths.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET over a real connection, the body as sent (not decoded). */
function get(url: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static assets compressed at start", () => {
  let t: TestInstance;
  const fetchAs = (path: string, encoding: string) => get(`${t.url}${path}`, { "Accept-Encoding": encoding });

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" }, { listen: true });
  });
  afterAll(() => t.stop());

  it("sends brotli, gzip or the file itself, each the same file, with the same caching headers", async () => {
    for (const file of ["style.css", "app.js", "ui.js"]) {
      const original = await readFile(join(staticDir(), file));
      const br = await fetchAs(`/static/${file}`, "gzip, deflate, br");
      const gz = await fetchAs(`/static/${file}`, "gzip");
      const plain = await fetchAs(`/static/${file}`, "identity");
      expect(br.headers["content-encoding"], file).toBe("br");
      expect(gz.headers["content-encoding"], file).toBe("gzip");
      expect(plain.headers["content-encoding"], file).toBeUndefined();
      expect(brotliDecompressSync(br.body).equals(original), file).toBe(true);
      expect(gunzipSync(gz.body).equals(original), file).toBe(true);
      expect(plain.body.equals(original), file).toBe(true);
      expect(br.body.length).toBeLessThan(original.length);
      for (const res of [br, gz, plain]) {
        expect(res.status).toBe(200);
        expect(res.headers["vary"]).toBe("Accept-Encoding");
        expect(res.headers["cache-control"]).toBe("public, max-age=86400");
        expect(res.headers["etag"]).toBe(br.headers["etag"]);
        expect(Number(res.headers["content-length"])).toBe(res.body.length);
      }
      expect(plain.headers["content-type"]).toMatch(file.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
      const again = await request(t.app).get(`/static/${file}`).set("If-None-Match", String(br.headers["etag"]));
      expect(again.status).toBe(304);
    }
  });

  it("leaves small files uncompressed, and answers 404 for a file it does not have", async () => {
    const small = await fetchAs("/static/theme.js", "gzip, br");
    expect(small.status).toBe(200);
    expect(small.headers["content-encoding"]).toBeUndefined();
    expect((await request(t.app).get("/static/nothing.js")).status).toBe(404);
    expect((await request(t.app).post("/static/style.css")).status).toBe(405);
  });
});
