import express, { Router } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { isInboxPath } from "../../federation/inbox/router.js";
import { forPaths, gated, reads, underPrefix } from "../../server/http/route-gates.js";

/** The same routers mounted bare and behind their gates: every request must be answered alike. */
function apps() {
  const routers = () => {
    const health = Router();
    health.get("/livez", (_req, res) => {
      res.send("live");
    });
    const api = Router();
    api.post("/api/v1/boards/:board/threads", (req, res) => {
      res.send(`thread on ${req.params["board"]}`);
    });
    const objects = Router();
    objects.get("/ap/boards/:board", (req, res) => {
      res.send(`group ${req.params["board"]}`);
    });
    const inbox = Router();
    inbox.all(["/ap/inbox", "/ap/boards/:board/inbox"], (req, res) => {
      res.status(req.method === "POST" ? 202 : 405).send("inbox");
    });
    return { health, api, objects, inbox };
  };
  const finish = (app: express.Express) => {
    app.use((req, res) => {
      res.status(404).send(`nothing at ${req.method} ${req.path}`);
    });
    return app;
  };
  const a = routers();
  const bare = express();
  bare.use(a.health, a.inbox, a.objects, a.api);
  const b = routers();
  const behind = express();
  behind.use(
    gated(forPaths("/livez"), b.health),
    gated((req) => isInboxPath(req.path), b.inbox),
    gated(reads, b.objects),
    gated(underPrefix("/api/"), b.api),
  );
  return { bare: finish(bare), behind: finish(behind) };
}

describe("route gates", () => {
  it("answer every request as the routers behind them would, case and final slash included", async () => {
    const { bare, behind } = apps();
    const cases: Array<[string, string]> = [
      ["get", "/livez"],
      ["get", "/LIVEZ"],
      ["get", "/livez/"],
      ["head", "/livez"],
      ["post", "/livez"],
      ["get", "/livez/more"],
      ["post", "/api/v1/boards/b/threads"],
      ["post", "/API/V1/boards/b/threads/"],
      ["get", "/api/v1/boards/b/threads"],
      ["post", "/apis/v1/boards/b/threads"],
      ["get", "/ap/boards/b"],
      ["head", "/AP/Boards/b/"],
      ["options", "/ap/boards/b"],
      ["post", "/ap/boards/b"],
      ["post", "/ap/inbox"],
      ["get", "/AP/INBOX/"],
      ["put", "/ap/boards/b/inbox"],
      ["post", "/ap/boards/b/inbox/extra"],
      ["get", "/elsewhere"],
    ];
    for (const [method, path] of cases) {
      const want = await request(bare)[method as "get"](path);
      const got = await request(behind)[method as "get"](path);
      expect(`${got.status} ${got.text ?? ""}`, `${method} ${path}`).toBe(`${want.status} ${want.text ?? ""}`);
      if (method === "options") expect(got.headers["allow"], path).toBe(want.headers["allow"]);
    }
  });

  it("enter a router only for what it may answer", () => {
    const req = (method: string, path: string) => ({ method, path }) as express.Request;
    expect(forPaths("/livez", "/readyz")(req("GET", "/Readyz/"))).toBe(true);
    expect(forPaths("/livez")(req("GET", "/livez/x"))).toBe(false);
    expect(underPrefix("/api/")(req("POST", "/Api/v1"))).toBe(true);
    expect(underPrefix("/api/")(req("POST", "/apiv1"))).toBe(false);
    expect(reads(req("POST", "/ap/boards/b"))).toBe(false);
    expect(isInboxPath("/ap/actor/inbox")).toBe(true);
    expect(isInboxPath("/ap/boards/b/outbox")).toBe(false);
  });
});
