import { domainOfUrl, domainSuffixes, normalizeDomain } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import { type Post, withoutFiles } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";
import type { BlocklistFetcher, HeldDataEffects, SeveredFollow } from "../../server/services/defederation/types.js";
import { FetchFailed, FetchRefused, type GuardedFetch } from "../http/guarded-fetch.js";

/** A subscribed list is read whole; the largest public lists are a few MB. */
export const BLOCKLIST_MAX_BYTES = 10 * 1024 * 1024;
/** The budget of one list fetch, redirects included. */
export const BLOCKLIST_TIMEOUT_MS = 30_000;
const BLOCKLIST_ACCEPT = "text/csv, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5";

/**
 * What a change of the domain rules does to the data this instance holds, for the
 * defederation service (`s.defederation.connect`). Nothing here sends anything: severing a suspended
 * domain's follows is silent (no Undo, no Reject), since nothing may go to it any more.
 */
export class FederationHeldDataEffects implements HeldDataEffects {
  constructor(private readonly s: Pick<Services, "store" | "policy" | "posting" | "events">) {}

  /**
   * Removes every follow, both directions, with a domain now suspended, the deliveries still queued
   * for it, and the new threads held from it for a moderator. The follows are handed to `record`
   * first; when it fails nothing is removed (the next rule change or start tries again).
   */
  async severFollows(
    isSuspended: (domain: string) => boolean,
    record?: (severed: SeveredFollow[]) => Promise<void>,
  ): Promise<number> {
    const { follows, deliveries } = this.s.store.federation;
    const domains = (await follows.domains()).map((d) => d.domain).filter((d) => isSuspended(canonical(d)));
    if (domains.length > 0 && record) await record(await this.#followsWith(new Set(domains)));
    let severed = 0;
    for (const domain of domains) {
      severed += await follows.removeByDomain(domain);
      await deliveries.removeForDomain(domain);
    }
    const held = this.s.store.defederation.held;
    const heldDomains = new Set((await held.list()).map((h) => h.domain));
    for (const domain of heldDomains) {
      if (isSuspended(canonical(domain))) await held.removeByDomain(domain);
    }
    return severed;
  }

  /** Every follow, both directions and any state, whose remote side is on one of the domains. */
  async #followsWith(domains: Set<string>): Promise<SeveredFollow[]> {
    const { follows } = this.s.store.federation;
    const out: SeveredFollow[] = [];
    for (const board of await this.s.store.boards.list()) {
      const all = [
        ...(await follows.followersOf(board.uri)),
        ...(await follows.pendingFollowersOf(board.uri)),
        ...(await follows.followingOf(board.uri)),
      ];
      for (const f of all) {
        if (!domains.has(f.domain)) continue;
        out.push({
          board: f.board,
          direction: f.direction,
          state: f.state,
          remoteActor: f.direction === "inbound" ? f.actorId : f.objectId,
          domain: canonical(f.domain),
        });
      }
    }
    return out;
  }

  async remoteDomains(): Promise<string[]> {
    const out = new Set<string>();
    for (const actor of await this.s.store.posts.remoteAuthors()) {
      const host = domainOfUrl(actor);
      if (host !== null) out.add(host);
    }
    for (const { domain } of await this.s.store.federation.follows.domains()) out.add(domain);
    return [...out];
  }

  async followCounts(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const { domain, count } of await this.s.store.federation.follows.domains()) {
      const key = canonical(domain);
      out.set(key, (out.get(key) ?? 0) + count);
    }
    return out;
  }

  /**
   * Deletes the cached files (originals and thumbnails) of posts whose author's domain rejects
   * media, instance-wide or by the rule of the post's board; the posts stay, marked file-deleted.
   */
  async dropMedia(rejects: (domain: string) => boolean): Promise<number> {
    const { s } = this;
    const boards = (await s.store.boards.list()).map((b) => b.uri);
    const rejecting = (host: string, board?: string): boolean =>
      rejects(host) ||
      (board === undefined
        ? boards.some((b) => s.policy.check(host, b).rejectMedia)
        : s.policy.check(host, board).rejectMedia);
    const authors: string[] = [];
    for (const actor of await s.store.posts.remoteAuthors()) {
      const host = domainOfUrl(actor);
      if (host !== null && rejecting(host)) authors.push(actor);
    }
    if (authors.length === 0) return 0;
    let dropped = 0;
    for (const post of await s.store.posts.listByAuthors(authors)) {
      if (!post.file) continue;
      const host = domainOfUrl(post.fediActor ?? "");
      if (host === null || !rejecting(host, post.board)) continue;
      const { file, removed, orphans, post: after } = await s.store.posts.deleteFile(post.board, post.no);
      if (!file) continue;
      await s.posting.removeBlobs(orphans, { board: post.board, files: removed });
      s.events.emit({ type: "file_deleted", post: after ?? withoutFiles(post) });
      dropped++;
    }
    return dropped;
  }

  /**
   * Deletes every post whose author is on the domain or one of its subdomains (an opening post
   * takes its whole thread), with its media, as a deletion by its author would, and forgets the
   * domain's cached actors.
   */
  async purgePosts(domain: string): Promise<number> {
    const { s } = this;
    const target = normalizeDomain(domain);
    if (target === null) throw new DomainError("invalid", "Not a domain name.");
    const authors = (await s.store.posts.remoteAuthors()).filter((actor) => {
      const host = domainOfUrl(actor);
      return host !== null && domainSuffixes(host).includes(target);
    });
    let purged = 0;
    if (authors.length > 0) {
      const posts = await s.store.posts.listByAuthors(authors);
      // Opening posts first: each takes its thread, and the replies already gone are skipped.
      posts.sort((a, b) => Number(isOpening(b)) - Number(isOpening(a)));
      for (const post of posts) {
        const deleted = await s.posting.deleteRemote(post.board, post.no);
        for (const p of deleted) if (p.apId) await s.store.federation.remotePosts.delete(p.apId);
        purged += deleted.length;
      }
    }
    for (const actor of await s.store.federation.actors.listByDomain(target)) {
      await s.store.federation.actors.delete(actor.id);
    }
    return purged;
  }
}

/**
 * Reads a subscribed blocklist through the federation's one guarded client: unsigned (lists are
 * public), https only unless private addresses are allowed (the client enforces it, on every
 * redirect too), at most 10 MB, within a time budget.
 */
export class GuardedBlocklistFetcher implements BlocklistFetcher {
  constructor(
    private readonly http: GuardedFetch,
    private readonly limits: { maxBytes?: number; timeoutMs?: number } = {},
  ) {}

  async fetch(url: string): Promise<{ text: string; contentType: string | null }> {
    let res: Awaited<ReturnType<GuardedFetch["request"]>>;
    try {
      res = await this.http.request(url, {
        method: "GET",
        accept: BLOCKLIST_ACCEPT,
        maxBytes: this.limits.maxBytes ?? BLOCKLIST_MAX_BYTES,
        timeoutMs: this.limits.timeoutMs ?? BLOCKLIST_TIMEOUT_MS,
      });
    } catch (err) {
      if (err instanceof FetchRefused || err instanceof FetchFailed) {
        throw new DomainError("unprocessable", `The list could not be fetched: ${err.message}`);
      }
      throw err;
    }
    if (res.status < 200 || res.status > 299) {
      throw new DomainError("unprocessable", `The list could not be fetched: HTTP ${res.status}.`);
    }
    return {
      text: res.body.toString("utf8").replace(/^\uFEFF/, ""),
      contentType: res.headers["content-type"] ?? null,
    };
  }
}

function canonical(domain: string): string {
  return normalizeDomain(domain) ?? domain;
}

function isOpening(post: Post): boolean {
  return post.no === post.threadNo;
}
