import { type Request, type Response, Router } from "express";
import { isBoardUri } from "../../server/domain/board.js";
import { problemType, sendProblem } from "../../server/http/problem-document.js";
import type { Services } from "../../server/services/container.js";
import { MASTODON_API_VERSION, VERSION } from "../../server/version.js";
import type { FederationIds } from "../ids.js";

function problem(res: Response, status: 400 | 404, detail: string): void {
  sendProblem(
    res,
    status === 404
      ? { type: problemType("not-found"), title: "Not found", status, detail }
      : { type: problemType("invalid"), title: "Bad request", status, detail },
  );
}

/**
 * The account a WebFinger resource names on this host: `acct:board@host` (also `@board@host` and
 * the actor's URL), or the instance actor as `acct:host@host`. Null when it is not one of ours.
 */
export function parseResource(
  resource: string,
  ids: FederationIds,
): { kind: "board"; uri: string } | { kind: "instance" } | null {
  let value = resource.trim();
  if (/^https?:\/\//i.test(value)) {
    if (value === ids.instanceActor()) return { kind: "instance" };
    const board = ids.boardOf(value);
    return board ? { kind: "board", uri: board } : null;
  }
  value = value.replace(/^acct:/i, "").replace(/^@/, "");
  const at = value.lastIndexOf("@");
  if (at <= 0) return null;
  const user = value.slice(0, at).toLowerCase();
  const host = value.slice(at + 1).toLowerCase();
  if (host !== ids.host.toLowerCase()) return null;
  if (user === ids.host.toLowerCase() || user === "actor") return { kind: "instance" };
  return isBoardUri(user) ? { kind: "board", uri: user } : null;
}

/** WebFinger, host-meta and NodeInfo 2.1. */
export function wellKnownRouter(s: Pick<Services, "config" | "reader" | "store" | "urls">, ids: FederationIds): Router {
  const r = Router();

  r.get("/.well-known/webfinger", async (req: Request, res: Response) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    const resource = req.query["resource"];
    if (typeof resource !== "string" || resource.length === 0 || resource.length > 512) {
      return problem(res, 400, 'Give one "resource" parameter, such as acct:board@host.');
    }
    const target = parseResource(resource, ids);
    if (!target) return problem(res, 404, "No such account on this instance.");
    if (target.kind === "instance") {
      return res.type("application/jrd+json").send(
        JSON.stringify({
          subject: `acct:${ids.host}@${ids.host}`,
          aliases: [ids.instanceActor()],
          links: [{ rel: "self", type: "application/activity+json", href: ids.instanceActor() }],
        }),
      );
    }
    const board = await s.reader.getBoard(target.uri);
    if (!board) return problem(res, 404, "No such board on this instance.");
    res.setHeader("Cache-Control", "public, max-age=300");
    res.type("application/jrd+json").send(
      JSON.stringify({
        subject: `acct:${board.uri}@${ids.host}`,
        aliases: [ids.board(board.uri), s.urls.board(board.uri)],
        links: [
          { rel: "self", type: "application/activity+json", href: ids.board(board.uri) },
          { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: s.urls.board(board.uri) },
        ],
      }),
    );
  });

  r.get("/.well-known/host-meta", (_req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res
      .type("application/xrd+xml")
      .send(
        `<?xml version="1.0" encoding="UTF-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="lrdd" template="${s.config.publicUrl}/.well-known/webfinger?resource={uri}"/>\n</XRD>\n`,
      );
  });

  r.get("/.well-known/nodeinfo", (_req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.json({
      links: [{ rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${s.config.publicUrl}/nodeinfo/2.1` }],
    });
  });

  r.get("/nodeinfo/2.1", async (_req, res) => {
    const boards = await s.reader.listBoards();
    const posts = await s.store.posts.countPosts();
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Cache-Control", "public, max-age=60");
    res.type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"').send(
      JSON.stringify({
        version: "2.1",
        software: { name: "atoll", version: VERSION, homepage: s.config.publicUrl },
        protocols: ["activitypub"],
        services: { inbound: [], outbound: [] },
        openRegistrations: false,
        usage: {
          users: { total: boards.length, activeHalfyear: boards.length, activeMonth: boards.length },
          localPosts: posts,
        },
        metadata: {
          nodeName: s.config.instanceName,
          nodeDescription: s.config.instanceDescription,
          federation: { enabled: s.config.federation, mode: s.config.federationMode },
          // Client libraries (megalodon's detector) take a server whose software they do not know
          // for a Mastodon-compatible one when this names Mastodon: Atoll answers Mastodon's
          // instance and admin domain endpoints (README, "Mastodon-compatible API").
          upstream: { name: "mastodon", version: MASTODON_API_VERSION },
          boards: boards.map((b) => ({ uri: b.uri, title: b.title, actor: ids.board(b.uri), sfw: b.settings.sfw })),
        },
      }),
    );
  });

  return r;
}
