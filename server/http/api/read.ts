import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { ThreadOrder } from "../../domain/ports.js";
import type { Services } from "../../services/container.js";
import { positiveInt, sendRendered } from "../respond.js";
import { boardJson, catalogThreadJson, indexThreadJson, paginate, threadJson } from "./fourchan.js";

const JSON_TYPE = "application/json; charset=utf-8";

/** The 4chan-shaped read API: boards.json, and per board catalog, threads, pages, archive and threads. */
export function readApiRouter(s: Services): Router {
  const r = Router();

  const board = async (req: Request): Promise<Board> => {
    const uri = String(req.params["board"]);
    const b = isBoardUri(uri) ? await s.reader.getBoard(uri) : null;
    if (!b) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    return b;
  };

  const send = async (req: Request, res: Response, key: string, version: string, build: () => Promise<unknown>) => {
    const rendered = await s.cache.get(key, version, JSON_TYPE, async () => JSON.stringify(await build()));
    res.setHeader("Access-Control-Allow-Origin", "*");
    sendRendered(req, res, rendered);
  };

  r.get("/boards.json", async (_req, res) => {
    const boards = await s.reader.listBoards();
    const entries = [];
    for (const b of boards) {
      const count = await s.store.posts.countThreads(b.uri, false);
      entries.push(boardJson(b, s.reader.pageCount(b, count)));
    }
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.type("json").send(JSON.stringify({ boards: entries }));
  });

  r.get("/:board/catalog.json", async (req, res) => {
    const b = await board(req);
    await send(req, res, `json:catalog:${b.uri}`, await s.reader.boardVersion(b), async () => {
      const view = await s.reader.catalog(b, "bump", 5);
      return paginate(
        view.threads.map((t) => catalogThreadJson(b, t, s.urls)),
        b.settings.threadsPerPage,
      );
    });
  });

  r.get("/:board/threads.json", async (req, res) => {
    const b = await board(req);
    await send(req, res, `json:threads:${b.uri}`, await s.reader.boardVersion(b), async () => {
      const view = await s.reader.catalog(b, "bump", 0);
      const entries = view.threads.map((t) => ({
        no: t.state.no,
        last_modified: Math.floor(t.state.bumpedAt / 1000),
        replies: t.state.replyCount,
      }));
      return paginate(entries, b.settings.threadsPerPage);
    });
  });

  r.get("/:board/archive.json", async (req, res) => {
    const b = await board(req);
    await send(req, res, `json:archive:${b.uri}`, await s.reader.boardVersion(b), async () => {
      const threads = await s.reader.archive(b);
      return threads.map((t) => t.state.no);
    });
  });

  r.get("/:board/thread/:no.json", async (req, res) => {
    const b = await board(req);
    const no = positiveInt(req.params["no"]);
    const state = no === null ? null : await s.reader.getThreadState(b.uri, no);
    if (!state) throw new DomainError("not_found", `Thread /${b.uri}/${String(req.params["no"])} does not exist.`);
    await send(req, res, `json:thread:${b.uri}:${state.no}`, `${state.version}`, async () =>
      threadJson(b, await s.reader.thread(b, state), s.urls),
    );
  });

  r.get("/:board/:page.json", async (req, res) => {
    const b = await board(req);
    const page = positiveInt(req.params["page"]);
    if (page === null) throw new DomainError("not_found", "No such page.");
    await send(req, res, `json:page:${b.uri}:${page}`, await s.reader.boardVersion(b), async () => {
      const view = await s.reader.indexPage(b, page);
      if (!view) throw new DomainError("not_found", `Page ${page} of /${b.uri}/ does not exist.`);
      return { threads: view.threads.map((t) => indexThreadJson(b, t, s.urls)) };
    });
  });

  return r;
}

export function parseOrder(value: unknown): ThreadOrder {
  return value === "created" || value === "replies" ? value : "bump";
}
