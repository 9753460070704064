import { domainToASCII } from "node:url";
import { DomainError } from "../errors.js";

/*
 * Instance-level moderation of other servers ("domain rules"), with Mastodon's meanings:
 *   suspend  nothing is accepted from, delivered to or fetched from the domain; its content is hidden
 *   silence  its posts are hidden from indexes, catalogs and the JSON API unless the viewer opts in,
 *            its new threads wait for a moderator, its follows need approval
 *   noop     no limit; only the flags (reject_media, reject_reports) apply
 * A rule on a domain covers its subdomains, and the most specific rule wins. With FEDERATION_MODE
 * =allowlist, a domain no allow rule covers is treated as suspended.
 */

export type Severity = "noop" | "silence" | "suspend";
export const SEVERITIES: readonly Severity[] = ["noop", "silence", "suspend"];
const RANK: Record<Severity, number> = { noop: 0, silence: 1, suspend: 2 };

/** Whichever of two severities limits more. */
export function stricter(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Whichever of two severities limits less. */
export function milder(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function isSeverity(v: unknown): v is Severity {
  return v === "noop" || v === "silence" || v === "suspend";
}

/** Where a rule came from: a person (admin API, pages, CLI, CSV import) or subscribed blocklists. */
export type RuleOrigin = "manual" | "subscription";

/** An instance-wide domain block, with Mastodon's fields. */
export interface DomainBlock {
  id: string;
  /** Normalised (see `normalizeDomain`). Unique among blocks. */
  domain: string;
  severity: Severity;
  rejectMedia: boolean;
  rejectReports: boolean;
  privateComment: string;
  publicComment: string;
  /** Show the domain partly masked in public lists. */
  obfuscate: boolean;
  /** The rule stops applying at this time (ms since the epoch); null for never. */
  expiresAt: number | null;
  /** A link to the evidence behind the rule (a report, a post, a thread elsewhere). */
  evidenceUrl: string | null;
  origin: RuleOrigin;
  /**
   * For a subscription rule staged as `silence` while local follows exist: the severity it will be
   * raised to once an admin confirms (or the staging period ends). Null otherwise.
   */
  stagedSeverity: Severity | null;
  createdAt: number;
  updatedAt: number;
}

/** A domain federated with in allowlist mode. */
export interface DomainAllow {
  id: string;
  domain: string;
  comment: string;
  createdAt: number;
}

/** A board's own rule on top of the instance's rules: it can only limit more. */
export interface BoardDomainRule {
  id: string;
  board: string;
  domain: string;
  severity: "silence" | "suspend";
  rejectMedia: boolean;
  comment: string;
  createdAt: number;
}

const MAX_DOMAIN = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/**
 * The canonical form of a domain rule's or a peer's host: lower case, IDNs in punycode, no port,
 * no trailing dot, no scheme, path or credentials. Accepts a bare host (`Example.ORG.`), a host with
 * a port, a URL, or a `*.`-prefixed wildcard as some blocklists write it (a rule covers subdomains
 * anyway). Parsing is done by the WHATWG URL parser, never by string surgery. Returns null for
 * anything that is not a host name or an IP address.
 */
export function normalizeDomain(input: string): string | null {
  if (typeof input !== "string") return null;
  let value = input.trim();
  if (value.length === 0 || value.length > 2048) return null;
  if (value.startsWith("*.")) value = value.slice(2);
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  let url: URL;
  try {
    url = new URL(hasScheme ? value : `http://${value}`);
  } catch {
    return null;
  }
  // Credentials are refused with a scheme too: `https://user@x.example` is not how a domain is written.
  if (url.username !== "" || url.password !== "") return null;
  if (!hasScheme && (url.pathname !== "/" || url.search !== "" || url.hash !== "")) return null;
  let host = url.hostname;
  if (host.startsWith("[")) return host.length > 2 ? host : null; // IPv6 literal, already canonical
  host = host.endsWith(".") ? host.slice(0, -1) : host;
  // The URL parser has already applied IDNA; domainToASCII also refuses what IDNA refuses.
  host = domainToASCII(host);
  if (host === "" || host.length > MAX_DOMAIN) return null;
  if (IPV4.test(host)) return host;
  const labels = host.split(".");
  for (const label of labels) if (!LABEL.test(label)) return null;
  return host;
}

/** Like `normalizeDomain`, for input a person typed: a DomainError("invalid") instead of null. */
export function requireDomain(input: string): string {
  const d = normalizeDomain(input);
  if (d === null) throw new DomainError("invalid", `"${String(input).slice(0, 100)}" is not a domain name.`);
  return d;
}

/**
 * An http(s) URL whose authority is already canonical: a host of lower-case ASCII letters, digits
 * and hyphens in dot-separated labels, an optional port without leading zeros, then the end or a
 * path, query or fragment. Anything else (upper case, userinfo, backslashes, whitespace, punycode,
 * a trailing dot, IPv6) is left to the URL parser.
 */
const CANONICAL_HTTP_URL = /^(https?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(0|[1-9][0-9]{0,4}))?(?:[/?#]|$)/;
/** A dotted-quad IPv4 address as the URL parser writes it (no leading zeros, each part ≤ 255). */
const CANONICAL_IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** The parts of an http(s) URL that name where it lives. */
export interface UrlAuthority {
  scheme: "http" | "https";
  /** Normalised as by `normalizeDomain`. */
  host: string;
  /** The port as the URL parser keeps it: null when none was given or it is the scheme's default. */
  port: number | null;
}

/**
 * The scheme, host and port of `url` read without the URL parser, when the parser could only give
 * the same answer; null when it has to be asked. This is the shape of nearly every id and inbox URL
 * in activities, so the inbox's origin and domain checks rarely need the parser at all.
 */
export function canonicalAuthority(url: string): UrlAuthority | null {
  const m = CANONICAL_HTTP_URL.exec(url);
  if (m === null) return null;
  const scheme = m[1] as "http" | "https";
  const host = m[2]!;
  let port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && port > 65_535) return null;
  if (port === (scheme === "https" ? 443 : 80)) port = null;
  if (host.length > MAX_DOMAIN) return null;
  const last = host.lastIndexOf(".");
  const c = host.charCodeAt(last + 1);
  if (c >= 48 && c <= 57) {
    // A last label starting with a digit makes the host an IPv4 address, in any of several forms.
    return CANONICAL_IPV4.test(host) ? { scheme, host, port } : null;
  }
  if (host.includes("xn--")) return null;
  for (const label of host.split(".")) if (!LABEL.test(label)) return null;
  return { scheme, host, port };
}

/** The normalised host of an http(s) URL, or null. */
export function domainOfUrl(url: string): string | null {
  if (typeof url !== "string" || url.length > 4096) return null;
  const fast = canonicalAuthority(url);
  if (fast !== null) return fast.host;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  return normalizeDomain(parsed.hostname);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith("[") || IPV4.test(host);
}

/**
 * The suffixes of a host a rule can sit on, most specific first: `a.b.example.org`,
 * `b.example.org`, `example.org`, `org`. An IP address is matched only as a whole.
 */
export function domainSuffixes(host: string): string[] {
  if (isIpLiteral(host)) return [host];
  const out = [host];
  let i = host.indexOf(".");
  while (i >= 0) {
    out.push(host.slice(i + 1));
    i = host.indexOf(".", i + 1);
  }
  return out;
}

/** What applies to one domain. Shared, frozen objects: a check allocates nothing. */
export interface PolicyDecision {
  /** The effective severity; `noop` when no rule limits the domain. */
  severity: Severity;
  /** True when nothing may be exchanged with the domain (suspended, or not allowed in allowlist mode). */
  suspended: boolean;
  silenced: boolean;
  rejectMedia: boolean;
  rejectReports: boolean;
  /** The instance rule that decided, if any. */
  rule: DomainBlock | null;
  /** Why, in words, for logs and refusals. */
  reason: string;
}

const NONE: PolicyDecision = Object.freeze({
  severity: "noop",
  suspended: false,
  silenced: false,
  rejectMedia: false,
  rejectReports: false,
  rule: null,
  reason: "no rule",
}) as PolicyDecision;

const NOT_ALLOWED: PolicyDecision = Object.freeze({
  severity: "suspend",
  suspended: true,
  silenced: false,
  rejectMedia: true,
  rejectReports: true,
  rule: null,
  reason: "not on the allowlist",
}) as PolicyDecision;

function decisionOf(rule: DomainBlock): PolicyDecision {
  return Object.freeze({
    severity: rule.severity,
    suspended: rule.severity === "suspend",
    silenced: rule.severity === "silence",
    rejectMedia: rule.rejectMedia || rule.severity === "suspend",
    rejectReports: rule.rejectReports || rule.severity === "suspend",
    rule,
    reason: `${rule.severity} rule on ${rule.domain}`,
  });
}

function boardDecision(base: PolicyDecision, rule: BoardDomainRule): PolicyDecision {
  const severity = stricter(base.severity, rule.severity);
  return Object.freeze({
    severity,
    suspended: base.suspended || severity === "suspend",
    silenced: severity === "silence",
    rejectMedia: base.rejectMedia || rule.rejectMedia || severity === "suspend",
    rejectReports: base.rejectReports || severity === "suspend",
    rule: base.rule,
    reason: severity === base.severity ? base.reason : `board rule: ${rule.severity} on ${rule.domain}`,
  });
}

export interface PolicySnapshot {
  mode: "blocklist" | "allowlist";
  blocks: readonly DomainBlock[];
  allows: readonly DomainAllow[];
  boardRules: readonly BoardDomainRule[];
  /** The instance's own host (normalised): never limited, whatever the rules say. */
  localDomain: string;
}

/**
 * The compiled rules of one instance: a lookup costs one hash probe per label of the host (at most a
 * handful), however many rules there are. Expired rules are skipped at check time, so a rule's
 * expiry takes effect without a rebuild.
 */
export class DomainPolicyIndex {
  readonly mode: "blocklist" | "allowlist";
  readonly size: number;
  readonly #blocks = new Map<string, { rule: DomainBlock; decision: PolicyDecision }>();
  readonly #allows = new Set<string>();
  readonly #boards = new Map<string, Map<string, BoardDomainRule>>();
  /**
   * Board decisions, made once per (board rule, instance decision) pair met: both sides are shared
   * objects of this index, so the cache is bounded and a board check allocates nothing after the
   * first time.
   */
  readonly #boardDecisions = new Map<BoardDomainRule, Map<PolicyDecision, PolicyDecision>>();
  readonly #local: string;

  constructor(snapshot: PolicySnapshot) {
    this.mode = snapshot.mode;
    this.#local = snapshot.localDomain;
    for (const rule of snapshot.blocks) this.#blocks.set(rule.domain, { rule, decision: decisionOf(rule) });
    for (const allow of snapshot.allows) this.#allows.add(allow.domain);
    for (const rule of snapshot.boardRules) {
      let m = this.#boards.get(rule.board);
      if (!m) {
        m = new Map();
        this.#boards.set(rule.board, m);
      }
      m.set(rule.domain, rule);
    }
    this.size = this.#blocks.size + this.#allows.size;
  }

  /**
   * The decision for a normalised host (see `normalizeDomain`; `domainOfUrl` for a URL), for the
   * whole instance or, with `board`, for that board (its rules only add limits). `now` is the
   * clock's time in ms, for expiries.
   */
  check(host: string, now: number, board?: string): PolicyDecision {
    if (host === this.#local) return NONE;
    let decision = this.#instance(host, now);
    if (board !== undefined) {
      const rules = this.#boards.get(board);
      if (rules) {
        const rule = this.#walk(host, rules);
        if (rule) decision = this.#boardDecision(decision, rule);
      }
    }
    return decision;
  }

  #boardDecision(base: PolicyDecision, rule: BoardDomainRule): PolicyDecision {
    let byBase = this.#boardDecisions.get(rule);
    if (!byBase) {
      byBase = new Map();
      this.#boardDecisions.set(rule, byBase);
    }
    let decision = byBase.get(base);
    if (!decision) {
      decision = boardDecision(base, rule);
      byBase.set(base, decision);
    }
    return decision;
  }

  /** The decision for the host of a URL; a URL that has no usable host counts as suspended. */
  checkUrl(url: string, now: number, board?: string): PolicyDecision {
    const host = domainOfUrl(url);
    return host === null ? NOT_ALLOWED : this.check(host, now, board);
  }

  #instance(host: string, now: number): PolicyDecision {
    if (this.mode === "allowlist" && !this.#allowed(host)) return NOT_ALLOWED;
    return this.#block(host, now) ?? NONE;
  }

  /** The most specific live instance block covering the host. */
  #block(host: string, now: number): PolicyDecision | null {
    if (this.#blocks.size === 0) return null;
    if (isIpLiteral(host)) return this.#live(this.#blocks.get(host), now);
    let at = 0;
    for (;;) {
      const found = this.#live(this.#blocks.get(at === 0 ? host : host.slice(at)), now);
      if (found) return found;
      const dot = host.indexOf(".", at);
      if (dot < 0) return null;
      at = dot + 1;
    }
  }

  #live(entry: { rule: DomainBlock; decision: PolicyDecision } | undefined, now: number): PolicyDecision | null {
    if (!entry) return null;
    const { expiresAt } = entry.rule;
    return expiresAt !== null && expiresAt <= now ? null : entry.decision;
  }

  #allowed(host: string): boolean {
    if (isIpLiteral(host)) return this.#allows.has(host);
    let at = 0;
    for (;;) {
      if (this.#allows.has(at === 0 ? host : host.slice(at))) return true;
      const dot = host.indexOf(".", at);
      if (dot < 0) return false;
      at = dot + 1;
    }
  }

  #walk<T>(host: string, rules: Map<string, T>): T | undefined {
    if (isIpLiteral(host)) return rules.get(host);
    let at = 0;
    for (;;) {
      const found = rules.get(at === 0 ? host : host.slice(at));
      if (found !== undefined) return found;
      const dot = host.indexOf(".", at);
      if (dot < 0) return undefined;
      at = dot + 1;
    }
  }

  /** The instance block that covers the host (most specific, live), whatever the mode. */
  ruleFor(host: string, now: number): DomainBlock | null {
    return this.#block(host, now)?.rule ?? null;
  }

  /** Whether an allow rule covers the host (allowlist mode). */
  allows(host: string): boolean {
    return this.#allowed(host);
  }
}

/**
 * How Mastodon shows an obfuscated domain publicly: the middle of the name masked with `*` (dots
 * kept), the first and last quarter left readable.
 */
export function obfuscateDomain(domain: string): string {
  const length = domain.length;
  const visible = Math.floor(length / 4);
  let out = "";
  for (let i = 0; i < length; i++) {
    const c = domain[i]!;
    out += i > visible && i < length - visible && c !== "." ? "*" : c;
  }
  return out;
}
