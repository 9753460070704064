import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { Request, RequestHandler, Response } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HeaderLine, recordHeaders, securityHeaders, setHeaderLines } from "../../server/http/security-headers.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/** The header lines `middleware` leaves on a fresh response to `method url`, names as written. */
function linesSetBy(middleware: RequestHandler, method: string, url: string): [string, unknown][] {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = url;
  const res = new ServerResponse(req);
  let passed = 0;
  middleware(req as Request, res as unknown as Response, () => passed++);
  expect(passed).toBe(1);
  const raw = res as ServerResponse & { getRawHeaderNames: () => string[] };
  return raw.getRawHeaderNames().map((name) => [name, res.getHeader(name)]);
}

describe("security header lines set in one middleware", () => {
  const configs = [
    { publicUrl: "http://localhost:8080", mediaUrl: "http://localhost:8080/media" },
    { publicUrl: "https://board.example", mediaUrl: "https://cdn.example/media" },
  ];

  it("sets exactly what helmet sets, in the same order, whatever the request", () => {
    for (const config of configs) {
      const helmet = securityHeaders(config);
      const preset = setHeaderLines(recordHeaders(securityHeaders(config)));
      for (const [method, url] of [
        ["GET", "/"],
        ["POST", "/api/v1/boards/b/threads/1/replies"],
        ["HEAD", "/b/thread/1"],
        ["DELETE", "/api/v1/boards/b/posts/2"],
      ] as const) {
        const expected = linesSetBy(helmet, method, url);
        expect(expected.length).toBeGreaterThan(8);
        expect(linesSetBy(preset, method, url), `${config.publicUrl} ${method} ${url}`).toEqual(expected);
      }
    }
  });

  describe("on every kind of answer an instance gives", () => {
    let t: TestInstance;
    let lines: HeaderLine[];
    beforeAll(async () => {
      t = await startTestInstance();
      await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
      lines = recordHeaders(securityHeaders(t.services.config));
    });
    afterAll(() => t.stop());

    it("carries helmet's headers with helmet's values on pages, JSON, writes, refusals and assets", async () => {
      const thread = await request(t.app).post("/api/v1/boards/b/threads").send({ com: "first" });
      expect(thread.status).toBe(201);
      const answers = [
        thread,
        await request(t.app).get("/"),
        await request(t.app).get("/b/"),
        await request(t.app).get(`/b/thread/${thread.body.no}`),
        await request(t.app).get("/b/catalog.json"),
        await request(t.app).post(`/api/v1/boards/b/threads/${thread.body.no}/replies`).send({ com: "reply" }),
        await request(t.app).post("/api/v1/boards/b/threads/999/replies").send({ com: "nowhere" }),
        await request(t.app).post("/api/v1/boards/none/threads").send({ com: "x" }),
        await request(t.app).get("/no/such/page"),
        await request(t.app).get("/static/style.css"),
      ];
      expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 200, 200, 201, 404, 404, 404, 200]);
      answers.forEach((answer, i) => {
        for (const [name, value] of lines) {
          expect(answer.headers[name.toLowerCase()], `answer ${i}: ${name}`).toBe(String(value));
        }
      });
    });
  });
});
