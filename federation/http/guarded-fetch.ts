import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isPublicAddress } from "./address.js";
import { FetchFailed, FetchRefused } from "./fetch-errors.js";
import { exchange, KeptAlive, type PinnedTarget, type ResolvedAddress } from "./pinned-exchange.js";

export { isPublicAddress } from "./address.js";
export { FetchFailed, FetchRefused, type FetchRefusedReason } from "./fetch-errors.js";
export type { ResolvedAddress } from "./pinned-exchange.js";

export interface GuardedFetchOptions {
  /** `true` (tests, LAN): `http://` and any address are allowed. `false`: only https to public addresses. */
  allowPrivateAddresses: boolean;
  userAgent: string;
  /** Budget for the whole call: DNS, connect, headers and body of every hop. Default 10 s. */
  timeoutMs?: number;
  /** Body cap, on the wire and decompressed. Default 1 MiB; a request may raise it (media). */
  maxBytes?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** DNS resolution; default node:dns/promises `lookup` with `all: true`. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /**
   * Which resolved addresses may be contacted when private addresses are not allowed; default
   * `isPublicAddress`. Only tests and unusual networks have a reason to narrow or replace it.
   */
  isAllowedAddress?: (ip: string) => boolean;
  /** Extra trusted CA certificates (PEM) for https, for a private CA on a LAN or in tests. */
  ca?: string | Buffer;
  /**
   * The domain rules: called with the hostname of every hop (the first URL and each redirect)
   * before anything is resolved or connected, it returns why the host is refused, or null. See
   * `FetchScope` for what a request says about itself.
   */
  hostPolicy?: HostPolicy;
  /** The scope of requests that give none (a client made for media, see `withScope`). */
  scope?: FetchScope;
}

/** What a request is for, as the domain rules tell requests apart. */
export interface FetchScope {
  /** Media (attachments, avatars): refused from domains whose media is rejected, not only suspended ones. */
  media?: boolean;
  /** The local board the request is made for: its own rules apply on top of the instance's. */
  board?: string;
}

/** Why `host` may not be contacted for a request of `scope`, or null when it may. */
export type HostPolicy = (host: string, scope: FetchScope) => string | null;

export interface SignableRequest {
  method: string;
  url: URL;
  /** The headers about to be sent, lowercase names, including `host`. */
  headers: Record<string, string>;
  body?: Buffer;
}

export interface GuardedRequestInit {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Buffer | string;
  maxBytes?: number;
  /** Overrides the instance's budget for this call (large media). */
  timeoutMs?: number;
  accept?: string;
  /** `follow` (default) or `manual`: a redirect response is returned as it is. */
  redirect?: "follow" | "manual";
  /** Called for every hop, after the URL is validated, to add signature headers. */
  sign?: (req: SignableRequest) => Record<string, string>;
  /** What the request is for (media, a board), for the domain rules; the client's own scope by default. */
  scope?: FetchScope;
}

export interface GuardedResponse {
  status: number;
  /** The final URL, after redirects. */
  url: string;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Parses the body as JSON; throws FetchRefused("json") when it is not. */
  json<T = unknown>(): T;
}

const MAX_URL_LENGTH = 8192;
const MAX_ADDRESSES = 32;

/**
 * The one outbound HTTP client of federation. Every hop is checked before it is made: the scheme, the
 * absence of credentials, and every address the hostname resolves to. The connection then goes to an
 * address that passed the check (the socket's lookup is pinned to it), while TLS SNI, certificate
 * verification and the Host header still use the original hostname, so DNS cannot change its answer
 * between the check and the connect.
 */
export class GuardedFetch {
  readonly #options: GuardedFetchOptions;
  readonly #allowPrivate: boolean;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #lookup: (hostname: string) => Promise<ResolvedAddress[]>;
  readonly #isAllowed: (ip: string) => boolean;
  readonly #ca: string | Buffer | undefined;
  readonly #hostPolicy: HostPolicy | undefined;
  readonly #scope: FetchScope;
  readonly #pool = new KeptAlive();

  constructor(opts: GuardedFetchOptions) {
    this.#options = opts;
    this.#hostPolicy = opts.hostPolicy;
    this.#scope = opts.scope ?? {};
    this.#allowPrivate = opts.allowPrivateAddresses;
    this.#userAgent = opts.userAgent;
    this.#timeoutMs = positive(opts.timeoutMs ?? 10_000, "timeoutMs");
    this.#maxBytes = positive(opts.maxBytes ?? 1024 * 1024, "maxBytes");
    this.#maxRedirects = opts.maxRedirects ?? 3;
    if (!Number.isInteger(this.#maxRedirects) || this.#maxRedirects < 0 || this.#maxRedirects > 20) {
      throw new RangeError("maxRedirects must be an integer from 0 to 20");
    }
    this.#lookup = opts.lookup ?? ((hostname) => dnsLookup(hostname, { all: true }));
    this.#isAllowed = opts.isAllowedAddress ?? isPublicAddress;
    this.#ca = opts.ca;
  }

  /** The same client (options, domain rules) whose requests default to `scope` (media, a board). */
  withScope(scope: FetchScope): GuardedFetch {
    return new GuardedFetch({ ...this.#options, scope: { ...this.#scope, ...scope } });
  }

  /**
   * Why the domain rules refuse `url` for a request of `scope` (the client's own by default), or
   * null when they let it through; also null for what is not an http(s) URL (the request refuses
   * that for its own reasons). For checking a URL learnt indirectly (a WebFinger answer) before use.
   */
  refusalFor(url: string, scope?: FetchScope): string | null {
    if (!this.#hostPolicy) return null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
    return this.#hostPolicy(parsed.hostname, scope ?? this.#scope);
  }

  async request(url: string, init: GuardedRequestInit = {}): Promise<GuardedResponse> {
    const deadline = Date.now() + positive(init.timeoutMs ?? this.#timeoutMs, "timeoutMs");
    const maxBytes = positive(init.maxBytes ?? this.#maxBytes, "maxBytes");
    let method: string = init.method ?? "GET";
    let body = init.body === undefined ? undefined : Buffer.from(init.body);
    const baseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(init.headers ?? {})) baseHeaders[name.toLowerCase()] = value;
    if (init.accept !== undefined) baseHeaders["accept"] = init.accept;
    const follow = init.redirect !== "manual";
    const scope = init.scope ?? this.#scope;

    let current = this.#parse(url, scope);
    for (let redirects = 0; ; redirects++) {
      const target = await this.#resolve(current, deadline);
      const headers: Record<string, string> = {
        "user-agent": this.#userAgent,
        accept: "*/*",
        ...baseHeaders,
        host: current.host,
        "accept-encoding": "gzip",
      };
      if (body !== undefined) headers["content-length"] = String(body.length);
      else delete headers["content-length"];
      if (init.sign) {
        const extra = init.sign({ method, url: new URL(current.href), headers: { ...headers }, body });
        for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
      }

      const agent = this.#pool.for(current);
      const res = await exchange(target, { method, headers, body, maxBytes, deadline, follow, ca: this.#ca, agent });
      if (res.body !== null) return response(res.status, current.href, res.headers, res.body);

      if (redirects >= this.#maxRedirects) {
        throw new FetchRefused("too_many_redirects", `More than ${this.#maxRedirects} redirects from ${url}.`);
      }
      const next = this.#parseLocation(res.headers["location"], current, scope);
      // As browsers do: 303 turns anything into a GET, 301/302 turn a POST into a GET; 307/308 keep both.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        delete baseHeaders["content-type"];
      }
      if (next.origin !== current.origin) {
        delete baseHeaders["authorization"];
        delete baseHeaders["cookie"];
      }
      current = next;
    }
  }

  #parse(raw: string, scope: FetchScope): URL {
    if (typeof raw !== "string" || raw.length > MAX_URL_LENGTH) {
      throw new FetchRefused("bad_url", "The URL is missing or too long.");
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new FetchRefused("bad_url", `Not a URL: ${raw.slice(0, 200)}`);
    }
    this.#checkUrl(url, scope);
    return url;
  }

  #parseLocation(location: string | undefined, base: URL, scope: FetchScope): URL {
    if (location === undefined || location === "") {
      throw new FetchRefused("status", `A redirect from ${base.href} has no Location.`);
    }
    if (location.length > MAX_URL_LENGTH) throw new FetchRefused("bad_url", "The redirect location is too long.");
    let url: URL;
    try {
      url = new URL(location, base);
    } catch {
      throw new FetchRefused("bad_url", `A redirect from ${base.href} points to an invalid URL.`);
    }
    this.#checkUrl(url, scope);
    return url;
  }

  #checkUrl(url: URL, scope: FetchScope): void {
    const schemeOk = url.protocol === "https:" || (this.#allowPrivate && url.protocol === "http:");
    if (!schemeOk) {
      throw new FetchRefused("scheme", `Refusing ${url.protocol} URL${this.#allowPrivate ? "" : " (https only)"}.`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new FetchRefused("bad_url", "Refusing a URL with credentials.");
    }
    if (url.hostname === "") throw new FetchRefused("bad_url", "The URL has no host.");
    // The domain rules come before DNS: a suspended host is never even resolved.
    const refused = this.#hostPolicy?.(url.hostname, scope) ?? null;
    if (refused !== null) throw new FetchRefused("blocked", `Refusing ${url.hostname}: ${refused}.`);
  }

  /** Resolves the hostname (unless it is an address) and checks every address it yields. */
  async #resolve(url: URL, deadline: number): Promise<PinnedTarget> {
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: ResolvedAddress[];
    const literal = isIP(host);
    if (literal !== 0) {
      addresses = [{ address: host, family: literal }];
    } else {
      const found = await withDeadline(
        Promise.resolve().then(() => this.#lookup(host)),
        deadline,
        host,
      );
      if (!Array.isArray(found)) throw new FetchFailed(`DNS lookup for ${host} returned nothing usable.`);
      addresses = found.slice(0, MAX_ADDRESSES).map((entry) => {
        const family = isIP(typeof entry?.address === "string" ? entry.address : "");
        if (family === 0) throw new FetchFailed(`DNS lookup for ${host} returned an invalid address.`);
        return { address: entry.address, family };
      });
      if (addresses.length === 0) throw new FetchFailed(`DNS lookup for ${host} found no address.`);
    }
    if (!this.#allowPrivate) {
      const bad = addresses.find((a) => !this.#isAllowed(a.address));
      if (bad) {
        throw new FetchRefused("private_address", `${host} resolves to ${bad.address}, which is not a public address.`);
      }
    }
    return { url, host, addresses };
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

/** Waits for a DNS answer no longer than the request's budget allows. */
function withDeadline<T>(work: Promise<T>, deadline: number, host: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new FetchRefused("timeout", `Timed out resolving ${host}.`)),
      Math.max(0, deadline - Date.now()),
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const code = (err as { code?: unknown } | null)?.code;
        reject(new FetchFailed(`DNS lookup for ${host} failed: ${typeof code === "string" ? code : String(err)}`, err));
      },
    );
  });
}

function response(status: number, url: string, headers: Record<string, string>, body: Buffer): GuardedResponse {
  return {
    status,
    url,
    headers,
    body,
    json<T = unknown>(): T {
      try {
        return JSON.parse(body.toString("utf8").replace(/^\uFEFF/, "")) as T;
      } catch {
        throw new FetchRefused("json", `The response from ${url} is not valid JSON.`);
      }
    },
  };
}
