import type { Request, Response, Router } from "express";
import { type Board, DEFAULT_BOARD_SETTINGS, MEDIA_TYPES } from "../../domain/board.js";
import type { Services } from "../../services/container.js";
import { MASTODON_COMPATIBLE_VERSION } from "../../version.js";
import { sendRendered } from "../respond.js";

/*
 * Mastodon's instance endpoints, `GET /api/v1/instance` and `GET /api/v2/instance`, so Mastodon
 * client libraries can open a session against Atoll. Boards are the instance's accounts; the
 * instance takes no sign-ups, has no statuses of its own to compose from a client, no polls and no
 * streaming API, and says so with the values Mastodon uses for "none".
 */

export type InstanceInfoDeps = Pick<Services, "cache" | "config" | "images" | "reader" | "store">;

const JSON_TYPE = "application/json; charset=utf-8";

/** What the two shapes are built from: read once per request, rendered once per change of it. */
interface InstanceFacts {
  host: string;
  publicUrl: string;
  title: string;
  description: string;
  boards: Board[];
  posts: number;
  domains: number;
  maxPixels: number;
}

async function facts(s: InstanceInfoDeps): Promise<InstanceFacts & { version: string }> {
  const [snapshot, posts, instances] = await Promise.all([
    s.reader.boardSnapshot(),
    s.store.posts.countPosts(),
    s.store.federation.instances.list(),
  ]);
  return {
    host: s.config.publicHost,
    publicUrl: s.config.publicUrl,
    title: s.config.instanceName,
    description: s.config.instanceDescription,
    boards: snapshot.boards,
    posts,
    domains: instances.length,
    maxPixels: s.images.maxPixels,
    version: `${snapshot.version}:${posts}:${instances.length}`,
  };
}

/** The largest of a board setting over every board; the default when there are none. */
function most(boards: readonly Board[], pick: (b: Board["settings"]) => number): number {
  return boards.reduce((max, b) => Math.max(max, pick(b.settings)), boards.length ? 0 : pick(DEFAULT_BOARD_SETTINGS));
}

function mimeTypes(boards: readonly Board[]): string[] {
  if (boards.length === 0) return [...DEFAULT_BOARD_SETTINGS.allowedTypes];
  const any = new Set(boards.flatMap((b) => b.settings.allowedTypes));
  return MEDIA_TYPES.filter((t) => any.has(t));
}

function statusesConfig(f: InstanceFacts) {
  return {
    max_characters: most(f.boards, (s) => s.maxCommentLength),
    max_media_attachments: 1,
    // Links are counted as typed: nothing is shortened.
    characters_reserved_per_url: 0,
  };
}

function mediaConfig(f: InstanceFacts) {
  return {
    supported_mime_types: mimeTypes(f.boards),
    image_size_limit: most(f.boards, (s) => s.maxFileSize),
    image_matrix_limit: f.maxPixels,
    video_size_limit: 0,
    video_frame_rate_limit: 0,
    video_matrix_limit: 0,
  };
}

const POLLS_CONFIG = { max_options: 0, max_characters_per_option: 0, min_expiration: 0, max_expiration: 0 };
const ACCOUNTS_CONFIG = { max_featured_tags: 0 };

function streamingUrl(publicUrl: string): string {
  const u = new URL(publicUrl);
  return `${u.protocol === "https:" ? "wss:" : "ws:"}//${u.host}`;
}

/** Mastodon's V1::Instance. */
export function instanceV1(f: InstanceFacts) {
  return {
    uri: f.host,
    title: f.title,
    short_description: f.description,
    description: f.description,
    email: "",
    version: MASTODON_COMPATIBLE_VERSION,
    urls: { streaming_api: streamingUrl(f.publicUrl) },
    stats: { user_count: f.boards.length, status_count: f.posts, domain_count: f.domains },
    thumbnail: `${f.publicUrl}/static/favicon.svg`,
    languages: ["en"],
    registrations: false,
    approval_required: false,
    invites_enabled: false,
    configuration: {
      accounts: ACCOUNTS_CONFIG,
      statuses: statusesConfig(f),
      media_attachments: mediaConfig(f),
      polls: POLLS_CONFIG,
    },
    contact_account: null,
    rules: [],
  };
}

/** Mastodon's Instance (v2). */
export function instanceV2(f: InstanceFacts) {
  return {
    domain: f.host,
    title: f.title,
    version: MASTODON_COMPATIBLE_VERSION,
    source_url: `${f.publicUrl}/about#software`,
    description: f.description,
    usage: { users: { active_month: f.boards.length } },
    thumbnail: { url: `${f.publicUrl}/static/favicon.svg` },
    languages: ["en"],
    configuration: {
      urls: { streaming: streamingUrl(f.publicUrl), status: null, about: `${f.publicUrl}/about` },
      accounts: ACCOUNTS_CONFIG,
      statuses: statusesConfig(f),
      media_attachments: mediaConfig(f),
      polls: POLLS_CONFIG,
      translation: { enabled: false },
    },
    registrations: { enabled: false, approval_required: false, message: null },
    contact: { email: "", account: null },
    rules: [],
  };
}

/** Adds the two endpoints, readable from anywhere as Mastodon's are (`cors` sets that up). */
export function mastodonInstanceRoutes(r: Router, s: InstanceInfoDeps, cors: (res: Response) => void): void {
  const shapes = { v1: instanceV1, v2: instanceV2 } as const;
  for (const v of ["v1", "v2"] as const) {
    const path = `/api/${v}/instance`;
    r.options(path, (_req, res) => {
      cors(res);
      res.setHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
      res.setHeader("Access-Control-Max-Age", "86400");
      res.status(204).end();
    });
    r.get(path, async (req: Request, res: Response) => {
      const f = await facts(s);
      const rendered = await s.cache.get(`api:instance:${v}`, f.version, JSON_TYPE, async () =>
        JSON.stringify(shapes[v](f)),
      );
      cors(res);
      sendRendered(req, res, rendered);
    });
  }
}
