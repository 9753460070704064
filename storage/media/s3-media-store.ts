import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { DomainError, STORE_UNAVAILABLE, StorageError } from "../../server/domain/errors.js";
import type { MediaStore } from "../../server/domain/ports.js";
import { mediaTypeOf } from "./media-types.js";

const ADDRESS = /^[0-9a-f]{64}$/;
/** A published name: `board/tim.ext` or `board/tims.jpg` (board names are short lowercase words). */
const NAME = /^[a-z0-9_]{1,32}\/[0-9]{1,16}s?\.[a-z0-9]{1,5}$/;

/** Where the operator's bucket is, and the keys to it (see S3_* in the configuration). */
export interface S3Settings {
  /** Absent: the service's own endpoint for the region (Amazon S3). */
  endpoint: string | null;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `bucket` as the first path segment rather than a host name (MinIO, Garage, s3rver). */
  forcePathStyle: boolean;
}

/** Content-addressed objects never change, so any cache may keep them for good. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** Every blob's key starts with this, so the bucket may hold other things beside. */
export const KEY_PREFIX = "media/";

function checkAddress(sha256: unknown): string {
  if (typeof sha256 !== "string" || !ADDRESS.test(sha256)) {
    throw new DomainError("invalid", "A media address is 64 lowercase hex digits.");
  }
  return sha256;
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new DomainError("invalid", "A published media name is board/tim.ext.");
  }
  return name;
}

function isMissing(e: unknown): boolean {
  if (!(e instanceof S3ServiceException)) return false;
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata.httpStatusCode === 404;
}

/**
 * The S3 client for the operator's bucket. The rule that every outbound request goes through the
 * guarded client is about addresses that come from users and peers; this one only ever talks to the
 * endpoint the operator configured, so the SDK's own HTTP client is used.
 */
export function s3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint === null ? {} : { endpoint: s.endpoint }),
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    // Several S3-compatible services do not take the SDK's newer default checksum headers; the
    // Content-MD5 sent with each put lets the service refuse a body damaged on the way instead.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  });
}

/**
 * Content-addressed blobs as objects `media/<sha256>` in an S3-compatible bucket, each with its
 * content type (from its first bytes) and an immutable cache header. A put uploads one whole object
 * or nothing (S3 never shows a partial PutObject). Any failure of the service (out of reach,
 * throttled, a 5xx after the SDK's retries, refused credentials) is a StorageError `unavailable`:
 * the caller's post fails with a 503, and nothing is published.
 */
export class S3MediaStore implements MediaStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  /** Keys per ListObjectsV2 page (S3's own default and ceiling is 1000). */
  readonly #pageSize: number;

  /** Present with `named`: see MediaStore.publish. */
  readonly publish?: (name: string, sha256: string) => Promise<void>;
  readonly unpublish?: (name: string) => Promise<void>;
  readonly unpublishBoard?: (board: string) => Promise<void>;

  /**
   * `named`: pages link files straight at the bucket (MEDIA_URL is not Atoll's own /media), so each
   * file is also copied to the name the pages use.
   */
  constructor(settings: S3Settings, options: { client?: S3Client; pageSize?: number; named?: boolean } = {}) {
    this.#client = options.client ?? s3Client(settings);
    this.#bucket = settings.bucket;
    this.#pageSize = options.pageSize ?? 1000;
    if (options.named === true) {
      this.publish = (name, sha256) => this.#publish(name, sha256);
      this.unpublish = (name) => this.#unpublish(name);
      this.unpublishBoard = (board) => this.#unpublishBoard(board);
    }
  }

  static key(sha256: string): string {
    return `${KEY_PREFIX}${sha256}`;
  }

  async put(data: Buffer): Promise<string> {
    if (!Buffer.isBuffer(data)) throw new DomainError("invalid", "Media data must be bytes.");
    const sha256 = createHash("sha256").update(data).digest("hex");
    // Identical bytes under one key: an object already there is the same blob, and stays.
    if (await this.has(sha256)) return sha256;
    await this.#call("store", sha256, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: S3MediaStore.key(sha256),
          Body: data,
          ContentLength: data.length,
          ContentMD5: createHash("md5").update(data).digest("base64"),
          ContentType: mediaTypeOf(data),
          CacheControl: IMMUTABLE,
        }),
      ),
    );
    return sha256;
  }

  async open(
    sha256: string,
    span?: (size: number) => { start: number; end: number } | null,
  ): Promise<{ stream: Readable; size: number } | null> {
    const key = S3MediaStore.key(checkAddress(sha256));
    let range: string | undefined;
    let size: number | undefined;
    if (span) {
      // The span is chosen knowing the size, so the size comes first.
      const head = await this.#head(sha256);
      if (head === null) return null;
      size = head;
      const part = span(size);
      if (part) range = `bytes=${part.start}-${part.end}`;
    }
    try {
      const got = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: range }));
      const body = got.Body;
      if (!(body instanceof Readable)) throw new Error("the S3 client answered without a stream");
      return { stream: body, size: size ?? totalSize(got.ContentRange, got.ContentLength) };
    } catch (e) {
      if (isMissing(e)) return null;
      throw unavailable("read", sha256, e);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.#head(checkAddress(sha256))) !== null;
  }

  async delete(sha256: string): Promise<void> {
    const key = S3MediaStore.key(checkAddress(sha256));
    // Deleting a key that is not there succeeds in S3: nothing to tell apart.
    await this.#call("delete", sha256, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
  }

  async *list(): AsyncIterable<string> {
    for await (const key of this.#keys(KEY_PREFIX)) {
      const name = key.slice(KEY_PREFIX.length);
      if (ADDRESS.test(name)) yield name;
    }
  }

  async *#keys(prefix: string): AsyncIterable<string> {
    for await (const page of this.#pages(prefix, undefined)) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) yield o.Key;
    }
  }

  /** The listing of `prefix`, page by page; with `delimiter`, keys past it are folded into prefixes. */
  async *#pages(prefix: string, delimiter: string | undefined) {
    let token: string | undefined;
    do {
      const page = await this.#call("list", "", () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            Delimiter: delimiter,
            MaxKeys: this.#pageSize,
            ContinuationToken: token,
          }),
        ),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Every published name in the bucket, with when its object was written (the bucket's clock): the
   * keys under each top-level folder but `media/` shaped as names, whatever board they are on.
   */
  async *publishedNames(): AsyncIterable<{ name: string; modified: number }> {
    const folders: string[] = [];
    for await (const page of this.#pages("", "/")) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix && p.Prefix !== KEY_PREFIX) folders.push(p.Prefix);
    }
    for (const folder of folders) {
      for await (const page of this.#pages(folder, undefined)) {
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined && NAME.test(o.Key))
            // Without a date it counts as just written: never old enough to be taken for a leftover.
            yield { name: o.Key, modified: o.LastModified?.getTime() ?? Number.POSITIVE_INFINITY };
        }
      }
    }
  }

  /**
   * A server-side copy of `media/<sha256>` to `name`: no bytes pass through this process, and the
   * copy keeps the source's Content-Type and Cache-Control (the default metadata directive, COPY).
   */
  async #publish(name: string, sha256: string): Promise<void> {
    const source = S3MediaStore.key(checkAddress(sha256));
    const key = checkName(name);
    await this.#call("publish", sha256, () =>
      this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          CopySource: `${this.#bucket}/${source}`,
          MetadataDirective: "COPY",
        }),
      ),
    );
  }

  async #unpublish(name: string): Promise<void> {
    const key = checkName(name);
    await this.#call("unpublish", "", () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
  }

  /**
   * Deletes the board's names page by page. Only keys shaped as names go, so a board called `media`
   * never takes the blobs under `media/` with it.
   */
  async #unpublishBoard(board: string): Promise<void> {
    const names: string[] = [];
    for await (const key of this.#keys(`${board}/`)) if (NAME.test(key)) names.push(key);
    for (const name of names) await this.#unpublish(name);
  }

  /** Whether the bucket holds an object under the published name (HeadObject). */
  async isPublished(name: string): Promise<boolean> {
    const key = checkName(name);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw unavailable("look up", name, e);
    }
  }

  /** Lets go of the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  /** The object's size, or null when it is absent. */
  async #head(sha256: string): Promise<number | null> {
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: S3MediaStore.key(sha256) }),
      );
      return head.ContentLength ?? 0;
    } catch (e) {
      if (isMissing(e)) return null;
      throw unavailable("look up", sha256, e);
    }
  }

  async #call<T>(what: string, sha256: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      throw unavailable(what, sha256, e);
    }
  }
}

/** The whole object's size from a ranged answer (`bytes a-b/size`) or a whole one. */
function totalSize(contentRange: string | undefined, contentLength: number | undefined): number {
  const total = contentRange ? /\/([0-9]+)$/.exec(contentRange)?.[1] : undefined;
  return total === undefined ? (contentLength ?? 0) : Number(total);
}

function unavailable(what: string, sha256: string, e: unknown): StorageError {
  const status = e instanceof S3ServiceException ? ` (HTTP ${e.$metadata.httpStatusCode ?? "?"})` : "";
  const name = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const object = sha256 ? ` ${sha256}` : "";
  return new StorageError("media", `object storage could not ${what}${object}: ${name}${status}`, STORE_UNAVAILABLE, {
    cause: e,
    reason: "unavailable",
  });
}
