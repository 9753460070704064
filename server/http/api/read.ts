import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { ThreadOrder } from "../../domain/ports.js";
import type { Services } from "../../services/container.js";
import { type CacheSlot, jsonSlots } from "../read-keys.js";
import { positiveInt, sendRendered } from "../respond.js";
import { listedThread, variantKey, visibilityOf } from "../web/limited.js";
import { boardJson, catalogThreadJson, indexThreadJson, paginate, threadJson } from "./fourchan.js";

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The 4chan-shaped read API: boards.json, and per board catalog, threads, pages, archive and threads.
 * Threads and replies from suspended servers are never in it; those from limited (silenced) servers
 * only for a reader who opts in (`?show_limited=1` or the pages' cookie). Each answer is cached per
 * version of what it shows, of the domain rules, and per opt-in, and dated by the store's time of
 * the last change it shows (Last-Modified, answering If-Modified-Since as 4chan's API asks).
 */
export function readApiRouter(s: Pick<Services, "reader" | "cache" | "store" | "urls">): Router {
  const r = Router();

  const board = async (req: Request): Promise<Board> => {
    const uri = String(req.params["board"]);
    const b = isBoardUri(uri) ? await s.reader.getBoard(uri) : null;
    if (!b) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    return b;
  };

  const send = async (req: Request, res: Response, slot: CacheSlot, build: () => Promise<unknown>): Promise<void> => {
    const build_ = async () => JSON.stringify(await build());
    const rendered = await s.cache.get(slot.key, slot.version, JSON_TYPE, build_, slot.modifiedAt);
    res.setHeader("Access-Control-Allow-Origin", "*");
    sendRendered(req, res, rendered, "no-cache", ["Cookie"]);
  };

  r.get("/boards.json", async (req, res) => {
    const snapshot = await s.reader.boardSnapshot();
    // Only the boards' settings show here; each board's stamp moves with them (and with its posts).
    const stamps = await Promise.all(snapshot.boards.map((b) => s.store.boards.stamp(b.uri)));
    const modifiedAt = Math.max(0, ...stamps.map((t) => t?.modifiedAt ?? 0));
    await send(req, res, { key: "json:boards", version: snapshot.version, modifiedAt }, async () => ({
      boards: snapshot.boards.map((b) => boardJson(b)),
    }));
  });

  r.get("/:board/catalog.json", async (req, res) => {
    const b = await board(req);
    const vis = visibilityOf(req);
    const slot = jsonSlots.board("catalog", b, await s.reader.boardStamp(b), s.reader.rulesVersion(), variantKey(vis));
    await send(req, res, slot, async () => {
      const view = await s.reader.catalog(b, "bump", 5, vis);
      return paginate(
        view.threads.map((t) => catalogThreadJson(b, t, s.urls)),
        b.settings.threadsPerPage,
      );
    });
  });

  r.get("/:board/threads.json", async (req, res) => {
    const b = await board(req);
    const vis = visibilityOf(req);
    const slot = jsonSlots.board("threads", b, await s.reader.boardStamp(b), s.reader.rulesVersion(), variantKey(vis));
    await send(req, res, slot, async () => {
      const view = await s.reader.catalog(b, "bump", 0, vis);
      const entries = view.threads.map((t) => ({
        no: t.state.no,
        last_modified: Math.floor(t.state.modifiedAt / 1000),
        replies: t.state.replyCount,
      }));
      return paginate(entries, b.settings.threadsPerPage);
    });
  });

  r.get("/:board/archive.json", async (req, res) => {
    const b = await board(req);
    const vis = visibilityOf(req);
    const slot = jsonSlots.board("archive", b, await s.reader.boardStamp(b), s.reader.rulesVersion(), variantKey(vis));
    await send(req, res, slot, async () => {
      const view = await s.reader.archive(b, vis);
      return view.threads.map((t) => t.state.no);
    });
  });

  r.get("/:board/thread/:no.json", async (req, res) => {
    const b = await board(req);
    const vis = visibilityOf(req);
    const state = await listedThread(s, b, req.params["no"], vis);
    const missing = () => new DomainError("not_found", `Thread /${b.uri}/${state.no} does not exist.`);
    const fingerprint = (await s.reader.boardSnapshot()).fingerprints.get(b.uri);
    const slot = jsonSlots.thread(b, state, fingerprint, s.reader.rulesVersion(), variantKey(vis));
    await send(req, res, slot, async () => {
      const view = await s.reader.thread(b, state, vis);
      if (!view) throw missing();
      return threadJson(b, view, s.urls);
    });
  });

  r.get("/:board/:page.json", async (req, res) => {
    const b = await board(req);
    const page = positiveInt(req.params["page"]);
    if (page === null) throw new DomainError("not_found", "No such page.");
    const vis = visibilityOf(req);
    const slot = jsonSlots.page(b, page, await s.reader.boardStamp(b), s.reader.rulesVersion(), variantKey(vis));
    await send(req, res, slot, async () => {
      const view = await s.reader.indexPage(b, page, vis);
      if (!view) throw new DomainError("not_found", `Page ${page} of /${b.uri}/ does not exist.`);
      return { threads: view.threads.map((t) => indexThreadJson(b, t, s.urls)) };
    });
  });

  return r;
}

export function parseOrder(value: unknown): ThreadOrder {
  return value === "created" || value === "replies" ? value : "bump";
}
