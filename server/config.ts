import { resolve } from "node:path";
import { z } from "zod";
import type { S3Settings } from "../storage/media/s3-media-store.js";
import { DEFAULT_TOKEN_ROTATION_DAYS } from "./domain/poster-token.js";

const onOff = (fallback: "on" | "off") =>
  z
    .enum(["on", "off", "true", "false", "1", "0"], { message: 'expected "on" or "off"' })
    .default(fallback)
    .transform((v) => v === "on" || v === "true" || v === "1");

/** Requests allowed per window (a minute), per client address or, for the inbox, per signing domain. */
export interface RequestLimitSettings {
  /** GET, HEAD and the like from one address. */
  reads: number;
  /** POST, PUT, PATCH and DELETE from one address (posting cooldowns apply on top). */
  writes: number;
  /** Admin API requests (an `Authorization` header on /api/v1/admin/…) from one address, any method. */
  admin: number;
  /** Inbox POSTs signed by keys on one domain (at most a sixth of it in any ten seconds). */
  inbox: number;
  /** Inbox POSTs signed by one actor's key (at most a sixth of it in any ten seconds). */
  inboxActor: number;
  /**
   * Inbox POSTs claiming keys on one domain whose signature fails: past it, such requests are
   * refused before any key is fetched for them.
   */
  inboxFailures: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimitSettings> = Object.freeze({
  reads: 1200,
  writes: 60,
  admin: 6000,
  inbox: 300,
  inboxActor: 30,
  inboxFailures: 60,
});

/** A request limit per minute: a whole number from 1 up. */
const perMinute = (name: string, fallback: number) =>
  z.coerce
    .number({ message: `${name} must be a number of requests per minute` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be at least 1`)
    .max(10_000_000, `${name} is at most 10000000`)
    .default(fallback);

const url = (what: string) =>
  z
    .url({ message: `${what} must be an absolute http(s) URL`, protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ""));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: url("PUBLIC_URL").optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  MEDIA_URL: url("MEDIA_URL").optional(),
  MONGODB_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, "MONGODB_URL must start with mongodb:// or mongodb+srv://")
    .optional(),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  ACCESS_LOG: onOff("on"),
  REQUIRE_ADMIN_2FA: onOff("off"),
  CAPTCHA: onOff("on"),
  RATE_LIMIT: onOff("on"),
  RATE_LIMIT_READS: perMinute("RATE_LIMIT_READS", DEFAULT_REQUEST_LIMITS.reads),
  RATE_LIMIT_WRITES: perMinute("RATE_LIMIT_WRITES", DEFAULT_REQUEST_LIMITS.writes),
  RATE_LIMIT_ADMIN: perMinute("RATE_LIMIT_ADMIN", DEFAULT_REQUEST_LIMITS.admin),
  RATE_LIMIT_INBOX: perMinute("RATE_LIMIT_INBOX", DEFAULT_REQUEST_LIMITS.inbox),
  RATE_LIMIT_INBOX_ACTOR: perMinute("RATE_LIMIT_INBOX_ACTOR", DEFAULT_REQUEST_LIMITS.inboxActor),
  RATE_LIMIT_INBOX_FAILURES: perMinute("RATE_LIMIT_INBOX_FAILURES", DEFAULT_REQUEST_LIMITS.inboxFailures),
  FEDERATION: onOff("on"),
  FEDERATION_MODE: z.enum(["blocklist", "allowlist"]).default("blocklist"),
  AUTHORIZED_FETCH: onOff("off"),
  ALLOW_PRIVATE_ADDRESSES: onOff("off"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  INSTANCE_NAME: z
    .string()
    .trim()
    .min(1, "INSTANCE_NAME must not be blank")
    .max(100, "INSTANCE_NAME is limited to 100 characters")
    .regex(/^[^\p{Cc}]*$/u, "INSTANCE_NAME must be one line of text")
    .optional(),
  INSTANCE_DESCRIPTION: z
    .string()
    .trim()
    .max(500, "INSTANCE_DESCRIPTION is limited to 500 characters")
    .regex(/^[^\p{Cc}]*$/u, "INSTANCE_DESCRIPTION must be one line of text")
    .default(""),
  ATOLL_ROLE: z.enum(["all", "web", "worker"]).default("all"),
  PURGE_GRACE_DAYS: z.coerce.number().min(0).max(3650).default(7),
  DELIVERY_RETRY_DAYS: z.coerce.number().min(0.01).max(365).default(7),
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  IMAGE_QUEUE_LIMIT: z.coerce.number().int().min(0).max(10_000).default(32),
  PEER_PROBATION_DAYS: z.coerce.number().min(0).max(3650).default(7),
  POSTER_TOKEN_ROTATION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_TOKEN_ROTATION_DAYS),
  BLOCKLIST_SYNC_HOURS: z.coerce
    .number()
    .min(0.05)
    .max(24 * 30)
    .default(6),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(off|on|loopback|[0-9]{1,2}|[0-9a-fA-F.:/,\s]+)$/,
      'expected "off", "on", "loopback", a hop count or addresses',
    )
    .default("off"),
  LIVE_STREAMS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  LIVE_STREAMS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(16),
  MEDIA_STORE: z.enum(["fs", "s3"], { message: 'expected "fs" or "s3"' }).default("fs"),
  S3_ENDPOINT: url("S3_ENDPOINT").optional(),
  S3_REGION: z.string().trim().min(1).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "S3_BUCKET must be a bucket name (3–63 of a-z, 0-9, . and -)")
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: onOff("off"),
});

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The validated configuration of one instance. Built once; everything else receives it. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** Host as peers see it (with its port when it has one): names boards in WebFinger. */
  publicHost: string;
  /** What the instance calls itself on its pages and to peers (NodeInfo); the host by default. */
  instanceName: string;
  /** One line about the instance, on the front page and in NodeInfo; may be empty. */
  instanceDescription: string;
  dataDir: string;
  mediaUrl: string;
  mongodbUrl: string | null;
  adminToken: string | null;
  /** METRICS_TOKEN: the bearer token Prometheus sends for GET /metrics (an admin token works too). */
  metricsToken: string | null;
  /** ACCESS_LOG: one JSON line per answered request on the log (default on). */
  accessLog: boolean;
  /** REQUIRE_ADMIN_2FA: admins without two-factor sign-in may do nothing in /admin but enrol. */
  requireAdmin2fa: boolean;
  captcha: boolean;
  rateLimit: boolean;
  /** Requests per minute, shared by every process on the store (with `rateLimit`). */
  requestLimits: RequestLimitSettings;
  federation: boolean;
  federationMode: "blocklist" | "allowlist";
  authorizedFetch: boolean;
  /** How long a suspended domain's posts stay (hidden) before they are deleted, in ms. */
  purgeGraceMs: number;
  /** How long a delivery is retried while its destination fails, before it is dropped, in ms. */
  deliveryMaxAgeMs: number;
  /** Sends one delivery worker keeps in flight at once (each peer domain's own limit still holds). */
  deliveryConcurrency: number;
  /** Uploads allowed to wait for an image worker; beyond that they are answered 503 with Retry-After. */
  imageQueueLimit: number;
  /**
   * How many days a local poster's per-board token (the handle peers name to hide or report a
   * poster) stays the same before it rotates: POSTER_TOKEN_ROTATION_DAYS, whole days, default 7.
   */
  posterTokenRotationDays: number;
  /** How often subscribed blocklists are fetched again, in ms. */
  blocklistSyncMs: number;
  /**
   * How long a host never federated with before stays on probation once it appears (its media not
   * fetched, its new threads held for a moderator): PEER_PROBATION_DAYS, default 7; 0 turns it off.
   */
  peerProbationDays: number;
  allowPrivateAddresses: boolean;
  logLevel: LogLevel;
  /**
   * `all`: serve and deliver; `web`: serve and queue deliveries for another process; `worker`: deliver
   * (it also serves, so a health check works). Processes split this way share one database.
   */
  role: "all" | "web" | "worker";
  /** Express "trust proxy": which proxies may set X-Forwarded-For (client addresses drive bans and cooldowns). */
  trustProxy: boolean | number | string;
  /** Open live-thread event streams: per process, and per client address (0 in total turns them off). */
  liveStreams: { total: number; perAddress: number };
  /** Where media blobs live: DATA_DIR/media (`fs`), or an S3-compatible bucket (MEDIA_STORE=s3). */
  mediaStore: { kind: "fs" } | ({ kind: "s3" } & S3Settings);
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses the environment once; an unknown or malformed value stops with a message naming it. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const mediaStore = mediaStoreOf(e);
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const mediaUrl = e.MEDIA_URL ?? `${publicUrl}/media`;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    publicHost: new URL(publicUrl).host,
    instanceName: e.INSTANCE_NAME ?? new URL(publicUrl).host,
    instanceDescription: e.INSTANCE_DESCRIPTION,
    dataDir: resolve(e.DATA_DIR),
    mediaUrl,
    mongodbUrl: e.MONGODB_URL ?? null,
    adminToken: e.ADMIN_TOKEN ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    accessLog: e.ACCESS_LOG,
    requireAdmin2fa: e.REQUIRE_ADMIN_2FA,
    captcha: e.CAPTCHA,
    rateLimit: e.RATE_LIMIT,
    requestLimits: {
      reads: e.RATE_LIMIT_READS,
      writes: e.RATE_LIMIT_WRITES,
      admin: e.RATE_LIMIT_ADMIN,
      inbox: e.RATE_LIMIT_INBOX,
      inboxActor: e.RATE_LIMIT_INBOX_ACTOR,
      inboxFailures: e.RATE_LIMIT_INBOX_FAILURES,
    },
    federation: e.FEDERATION,
    federationMode: e.FEDERATION_MODE,
    authorizedFetch: e.AUTHORIZED_FETCH,
    purgeGraceMs: Math.round(e.PURGE_GRACE_DAYS * 86_400_000),
    deliveryMaxAgeMs: Math.round(e.DELIVERY_RETRY_DAYS * 86_400_000),
    deliveryConcurrency: e.DELIVERY_CONCURRENCY,
    imageQueueLimit: e.IMAGE_QUEUE_LIMIT,
    blocklistSyncMs: Math.round(e.BLOCKLIST_SYNC_HOURS * 3_600_000),
    peerProbationDays: e.PEER_PROBATION_DAYS,
    posterTokenRotationDays: e.POSTER_TOKEN_ROTATION_DAYS,
    allowPrivateAddresses: e.ALLOW_PRIVATE_ADDRESSES,
    logLevel: e.LOG_LEVEL,
    role: e.ATOLL_ROLE,
    trustProxy: trustProxy(e.TRUST_PROXY),
    liveStreams: { total: e.LIVE_STREAMS, perAddress: e.LIVE_STREAMS_PER_ADDRESS },
    mediaStore,
  };
}

/** MEDIA_STORE=s3 needs its bucket, region and keys; the endpoint defaults to Amazon S3's. */
function mediaStoreOf(e: z.infer<typeof EnvSchema>): Config["mediaStore"] {
  if (e.MEDIA_STORE === "fs") return { kind: "fs" };
  const required = { S3_REGION: e.S3_REGION, S3_BUCKET: e.S3_BUCKET, S3_ACCESS_KEY_ID: e.S3_ACCESS_KEY_ID };
  const missing = Object.entries({ ...required, S3_SECRET_ACCESS_KEY: e.S3_SECRET_ACCESS_KEY })
    .filter(([, v]) => v === undefined)
    .map(([k]) => `  ${k}: required with MEDIA_STORE=s3`);
  if (missing.length > 0) throw new ConfigError(`Invalid configuration:\n${missing.join("\n")}`);
  return {
    kind: "s3",
    endpoint: e.S3_ENDPOINT ?? null,
    region: e.S3_REGION as string,
    bucket: e.S3_BUCKET as string,
    accessKeyId: e.S3_ACCESS_KEY_ID as string,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY as string,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}

function trustProxy(value: string): boolean | number | string {
  if (value === "off") return false;
  if (value === "on") return true;
  if (/^[0-9]{1,2}$/.test(value)) return Number(value);
  return value;
}
