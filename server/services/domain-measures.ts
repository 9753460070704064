import { domainOfUrl, domainSuffixes } from "../domain/defederation/rules.js";
import type { Store } from "../domain/ports.js";

/*
 * What this instance holds from or about one remote domain, as events in time: what an operator
 * (or a blocklist tool, before it suspends a domain) weighs before cutting it off. Read straight
 * from the store, for Mastodon's admin measures (server/http/admin/measures.ts).
 */

/** Something that happened at a time, and how much of it (1 for a follow or post, bytes for a file). */
export interface MeasuredEvent {
  at: number;
  amount: number;
}

export type DomainMeasureKey =
  | "instance_follows"
  | "instance_followers"
  | "instance_statuses"
  | "instance_media_attachments";

/** Whether a URL's host is the domain, or (with `subdomains`) one of its subdomains. */
function onDomain(url: string, domain: string, subdomains: boolean): boolean {
  const host = domainOfUrl(url);
  if (host === null) return false;
  return subdomains ? domainSuffixes(host).includes(domain) : host === domain;
}

export class DomainMeasures {
  constructor(private readonly store: Pick<Store, "boards" | "posts" | "federation">) {}

  /** The events one measure counts; `domain` is normalised. */
  async events(key: DomainMeasureKey, domain: string, subdomains: boolean): Promise<MeasuredEvent[]> {
    switch (key) {
      case "instance_follows":
        return this.follows("following", domain, subdomains);
      case "instance_followers":
        return this.follows("followers", domain, subdomains);
      case "instance_statuses":
        return (await this.posts(domain, subdomains)).map((p) => ({ at: p.createdAt, amount: 1 }));
      case "instance_media_attachments":
        return (await this.posts(domain, subdomains)).flatMap((p) =>
          p.file && !p.fileDeleted ? [{ at: p.createdAt, amount: p.file.size }] : [],
        );
    }
  }

  /**
   * Accepted follows between our boards and actors on the domain: our boards following them
   * (`following`), or them following our boards (`followers`). Pending requests are not follows
   * yet, as in Mastodon.
   */
  private async follows(
    direction: "following" | "followers",
    domain: string,
    subdomains: boolean,
  ): Promise<MeasuredEvent[]> {
    const { follows } = this.store.federation;
    const out: MeasuredEvent[] = [];
    for (const board of await this.store.boards.list()) {
      const list =
        direction === "following" ? await follows.followingOf(board.uri) : await follows.followersOf(board.uri);
      for (const f of list) {
        const remote = direction === "following" ? f.objectId : f.actorId;
        if (f.state === "accepted" && onDomain(remote, domain, subdomains)) out.push({ at: f.createdAt, amount: 1 });
      }
    }
    return out;
  }

  /** The posts held whose fediverse author is on the domain. */
  private async posts(domain: string, subdomains: boolean) {
    const authors = (await this.store.posts.remoteAuthors()).filter((a) => onDomain(a, domain, subdomains));
    return authors.length === 0 ? [] : this.store.posts.listByAuthors(authors);
  }
}
