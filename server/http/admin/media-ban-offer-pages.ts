import type { ListPeerGrant, ListToken } from "../../domain/media-safety/media-ban-lists.js";
import type { Services } from "../../services/container.js";
import { type Html, html } from "../web/html.js";
import { staffCell, staffNames } from "./media-ban-audit-pages.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { actionForm, csrfField, time, type ViewContext } from "./views.js";

/*
 * Who may fetch this instance's own media-ban list: the peer domains granted (their instance actor
 * signs the fetch) and the tokens minted for it. Admins only; every change goes through the same
 * service calls as the admin API, so the page and the API cannot disagree.
 */

const PATH = "/admin/media-bans/offers";
const ADMINS = { needs: "manage_instance" } as const;

type Deps = Pick<Services, "mediaBanOffers" | "staff">;

/** Enough of a token's stored hash to tell tokens apart and to check one in hand, never the token. */
export const tokenFingerprint = (t: Pick<ListToken, "hash">): string => t.hash.slice(0, 12);

interface OffersData {
  grants: ListPeerGrant[];
  tokens: ListToken[];
  names: Map<string, Html>;
}

function mintedView(token: string, label: string): Html {
  return html`<section class="admin-minted"><h2>New token for ${label}</h2>
  <p>Copy it now and hand it to the peer: it is shown only this once, and only its fingerprint is kept.</p>
  <p><code class="admin-token">${token}</code></p></section>`;
}

function offersView(v: ViewContext, d: OffersData, minted: Html | null): Html {
  const exportUrl = `${v.s.urls.publicUrl}/api/v1/media_bans/list?format=atoll`;
  const grantRows = d.grants.map(
    (
      g,
    ) => html`<tr><td><code>${g.domain}</code></td><td>${time(g.grantedAt)}</td><td>${staffCell(d.names, g.grantedBy)}</td>
  <td>${actionForm(v, `${PATH}/peers/revoke`, "Revoke", { domain: g.domain }, "danger")}</td></tr>`,
  );
  const tokenRows = d.tokens.map(
    (
      t,
    ) => html`<tr><td>${t.label}</td><td><code>${tokenFingerprint(t)}</code></td><td>${time(t.createdAt)}</td><td>${staffCell(d.names, t.createdBy)}</td>
  <td>${actionForm(v, `${PATH}/tokens/${encodeURIComponent(t.id)}/revoke`, "Revoke", {}, "danger")}</td></tr>`,
  );
  return html`<p><a href="/admin/media-bans">Media bans</a> · <a href="/admin/media-bans/audit">Audit trail</a></p>
<p>Peers fetch <code>${exportUrl}</code> (or <code>format=sha256</code>, <code>format=pdq</code>) signed by their instance actor once their domain is granted here, or with <code>Authorization: Bearer &lt;token&gt;</code>; it holds this instance's own media bans only, and anyone else gets 401 or 403.</p>
${minted}
<section><h2>Peer domains</h2>
  ${
    grantRows.length === 0
      ? html`<p>No domain may fetch the list.</p>`
      : html`<table class="admin-table"><thead><tr><th>Domain</th><th>Granted</th><th>By</th><th></th></tr></thead><tbody>${grantRows}</tbody></table>`
  }
  <form method="post" action="${PATH}/peers" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${PATH}">
    <p><label>Domain <input name="domain" required maxlength="253" placeholder="peer.example"></label> <button type="submit">Grant</button></p>
  </form>
</section>
<section><h2>Tokens</h2>
  ${
    tokenRows.length === 0
      ? html`<p>No tokens.</p>`
      : html`<table class="admin-table"><thead><tr><th>Label</th><th>Fingerprint</th><th>Created</th><th>By</th><th></th></tr></thead><tbody>${tokenRows}</tbody></table>`
  }
  <form method="post" action="${PATH}/tokens" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${PATH}">
    <p><label>Label <input name="label" required maxlength="200" placeholder="who the token is for"></label> <button type="submit">Create token</button></p>
  </form>
</section>`;
}

export function mediaBanOfferPages(s: Deps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  const load = async (v: ViewContext): Promise<OffersData> => {
    const [grants, tokens, users] = await Promise.all([
      s.mediaBanOffers.grants(v.user),
      s.mediaBanOffers.tokens(v.user),
      s.staff.listUsers(),
    ]);
    return { grants, tokens, names: staffNames(users) };
  };

  page(PATH, ADMINS, async (req, res, v) => {
    render(req, res, v, "Who may fetch our list", offersView(v, await load(v), null));
  });

  post(`${PATH}/peers`, ADMINS, async (_req, res, v, body) => {
    await s.mediaBanOffers.grant(v.user, field(body, "domain"));
    back(res, v, "list_peer_granted", PATH);
  });

  post(`${PATH}/peers/revoke`, ADMINS, async (_req, res, v, body) => {
    await s.mediaBanOffers.revoke(v.user, field(body, "domain") ?? "");
    back(res, v, "list_peer_revoked", PATH);
  });

  post(`${PATH}/tokens`, ADMINS, async (req, res, v, body) => {
    const { token, record } = await s.mediaBanOffers.mint(v.user, field(body, "label"));
    // Shown in this answer only, never behind a redirect: only the token's hash is kept.
    const shown = { ...v, path: PATH };
    render(
      req,
      res,
      shown,
      "Who may fetch our list",
      offersView(shown, await load(v), mintedView(token, record.label)),
    );
  });

  post(`${PATH}/tokens/:id/revoke`, ADMINS, async (req, res, v) => {
    await s.mediaBanOffers.revokeToken(v.user, String(req.params["id"]));
    back(res, v, "list_token_revoked", PATH);
  });
}
