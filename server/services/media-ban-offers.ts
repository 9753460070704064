import { createHash, randomBytes, randomUUID } from "node:crypto";
import { requireDomain } from "../domain/defederation/rules.js";
import { DomainError } from "../domain/errors.js";
import { formatHashList, HASH_LIST_FORMATS, type HashListFormat } from "../domain/media-safety/hash-lists.js";
import type { ListPeerGrant, ListToken } from "../domain/media-safety/media-ban-lists.js";
import { LOCAL_SOURCE } from "../domain/media-safety/media-bans.js";
import type { Store } from "../domain/ports.js";
import type { Clock } from "./clock.js";
import { requireInstance } from "./media-ban-lists.js";
import type { Actor } from "./staff.js";

const MAX_LABEL = 200;

const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * This instance's own media bans offered as a list to chosen peers only, never to anyone who asks:
 * to a domain an admin granted (its instance actor signs the fetch) or to a holder of a token an
 * admin minted for it (kept only as its hash). A public perceptual-hash list would teach evasion.
 */
export class MediaBanOffers {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async grants(user: Actor): Promise<ListPeerGrant[]> {
    requireInstance(user);
    return this.deps.store.mediaBanLists.grants();
  }

  async grant(user: Actor, domainInput: unknown): Promise<ListPeerGrant> {
    requireInstance(user);
    const domain = requireDomain(typeof domainInput === "string" ? domainInput : "");
    const grant = { domain, grantedBy: user.username, grantedAt: this.deps.clock() };
    if (!(await this.deps.store.mediaBanLists.grant(grant))) {
      throw new DomainError("conflict", "This domain may fetch the list already.");
    }
    await this.audit(user, "peer.grant", { domain });
    return grant;
  }

  async revoke(user: Actor, domainInput: string): Promise<void> {
    requireInstance(user);
    const domain = requireDomain(domainInput);
    if (!(await this.deps.store.mediaBanLists.revoke(domain))) {
      throw new DomainError("not_found", "This domain has no grant.");
    }
    await this.audit(user, "peer.revoke", { domain });
  }

  async tokens(user: Actor): Promise<ListToken[]> {
    requireInstance(user);
    return this.deps.store.mediaBanLists.tokens();
  }

  /** Mints a token for the list; the token itself is returned this once and never kept. */
  async mint(user: Actor, labelInput: unknown): Promise<{ token: string; record: ListToken }> {
    requireInstance(user);
    const label = typeof labelInput === "string" ? labelInput.trim() : "";
    if (label === "" || label.length > MAX_LABEL) {
      throw new DomainError("invalid", `label: who the token is for, 1 to ${MAX_LABEL} characters.`);
    }
    const token = `atl_${randomBytes(32).toString("base64url")}`;
    const record: ListToken = {
      id: randomUUID(),
      label,
      hash: tokenHash(token),
      createdBy: user.username,
      createdAt: this.deps.clock(),
    };
    await this.deps.store.mediaBanLists.addToken(record);
    await this.audit(user, "token.create", { token_id: record.id, label });
    return { token, record };
  }

  async revokeToken(user: Actor, id: string): Promise<void> {
    requireInstance(user);
    // The label is read first so that the trail still says whose token it was once it is gone.
    const record = (await this.deps.store.mediaBanLists.tokens()).find((t) => t.id === id);
    if (!record || !(await this.deps.store.mediaBanLists.revokeToken(id))) {
      throw new DomainError("not_found", "There is no such list token.");
    }
    await this.audit(user, "token.revoke", { token_id: id, label: record.label });
  }

  /** Whether a bearer token was minted for the list (and not revoked). */
  async tokenAdmits(token: string): Promise<boolean> {
    if (token.length === 0 || token.length > 500) return false;
    return (await this.deps.store.mediaBanLists.tokenByHash(tokenHash(token))) !== null;
  }

  /** Whether a domain's instance actor may fetch the list. */
  domainAdmits(domain: string): Promise<boolean> {
    return this.deps.store.mediaBanLists.isGranted(domain);
  }

  /** The list as a peer gets it: this instance's own bans only, never those from lists it follows. */
  async listText(formatInput: unknown): Promise<{ text: string; contentType: string }> {
    const format = (formatInput ?? "atoll") as HashListFormat;
    if (!HASH_LIST_FORMATS.includes(format)) throw new DomainError("invalid", 'format: "sha256", "pdq" or "atoll".');
    const own = (await this.deps.store.mediaBans.list()).filter((b) => b.source === LOCAL_SOURCE);
    const text = formatHashList(own, format);
    return { text, contentType: format === "atoll" ? "application/json" : "text/plain; charset=utf-8" };
  }

  private async audit(user: Actor, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.store.mediaBanLists.addAudit({
      id: randomUUID(),
      at: this.deps.clock(),
      actor: user.username,
      action,
      listId: null,
      detail,
    });
  }
}
