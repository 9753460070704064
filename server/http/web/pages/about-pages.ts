import type { PublicDomainBlock } from "../../../domain/defederation/public-list.js";
import type { DomainAllow } from "../../../domain/defederation/rules.js";
import { type Html, html } from "../html.js";
import { instanceName, type LayoutDeps, layout } from "../layout.js";

/** A section of an about page, with an anchor so it can be linked to. */
export interface AboutSection {
  id: string;
  title: string;
  body: Html;
}

function sections(list: readonly AboutSection[]): Html {
  return html`${list.map(
    (sec) => html`<section class="about-section" id="${sec.id}">
<h2>${sec.title}</h2>
${sec.body}
</section>`,
  )}`;
}

function toc(list: readonly AboutSection[]): Html {
  return html`<nav class="toc" aria-label="Contents"><ul>${list.map((sec) => html`<li><a href="#${sec.id}">${sec.title}</a></li>`)}</ul></nav>`;
}

/** About the instance: the software, where the rules are, and how programs read it. */
export function aboutPage(s: LayoutDeps): string {
  const name = instanceName(s);
  const list: AboutSection[] = [
    {
      id: "software",
      title: "Software",
      body: html`<p>${name} runs <strong>Atoll</strong>, an imageboard that speaks ActivityPub. Every board is a fediverse group:
follow <code>@board@${s.config.publicHost}</code> from Mastodon or other fediverse software to see its new threads, and replies
from the fediverse show up in the threads.</p>
<p>Posting is anonymous. Pages work without JavaScript; with it, you get quote previews, inline image expansion and a theme switch.</p>`,
    },
    {
      id: "rules",
      title: "Rules",
      body: html`<p>The rules, how reports work and who moderates are on the <a href="/about/moderation">moderation page</a>.</p>`,
    },
    {
      id: "api",
      title: "API",
      body: html`<p>Boards can be read with the same JSON API as 4chan's, so existing clients work unchanged:</p>
<ul>
<li><a href="/boards.json"><code>/boards.json</code></a>: the boards</li>
<li><code>/{board}/catalog.json</code>, <code>/{board}/threads.json</code>, <code>/{board}/{page}.json</code>, <code>/{board}/archive.json</code></li>
<li><code>/{board}/thread/{no}.json</code>: a thread</li>
<li>Files: <code>${s.config.mediaUrl}/{board}/{tim}{ext}</code>, thumbnails <code>{tim}s.jpg</code></li>
</ul>
<p>Posting: <code>POST /api/v1/boards/{board}/threads</code> and <code>POST /api/v1/boards/{board}/threads/{no}/replies</code>
(multipart or JSON). Instance information: <a href="/.well-known/nodeinfo"><code>/.well-known/nodeinfo</code></a>.</p>`,
    },
  ];
  const body = html`<article class="about">
<h1>About ${name}</h1>
${toc(list)}
${sections(list)}
</article>`;
  return layout(s, { title: "About", description: `About ${name}`, body, bodyClass: "about-page" });
}

/** The fixed sections of the moderation page; callers append their own (such as blocked domains). */
export function moderationSections(): AboutSection[] {
  return [
    {
      id: "rules",
      title: "Rules",
      body: html`<p>Posts must be legal where this instance is hosted and fit the board they are posted on: safe-for-work
boards take safe-for-work content only. Spam, flooding and posting other people's personal information are removed.
Each board's description says what it is for.</p>`,
    },
    {
      id: "reports",
      title: "Reports",
      body: html`<p>Tick the box next to a post, write which rule it breaks and press <strong>Report</strong> at the bottom of the
page. Reports are anonymous and go to the staff of that board; reporting a post again changes nothing. Staff delete
what breaks the rules; a report is closed once it has been dealt with. A report of a post that came from another server
is also passed on to that server, in this instance's name: your reason goes with it, never who you are.</p>`,
    },
    {
      id: "bans",
      title: "Bans",
      body: html`<p>Staff may ban the address a post came from, on one board or on all of them, for a time or permanently.
A banned reader can still read; posting shows the ban's reason and when it ends, and offers to appeal the ban, once;
the staff's answer is shown in the same place. Addresses are never stored in the clear:
the instance keeps a keyed hash of them.</p>`,
    },
    {
      id: "staff",
      title: "Staff",
      body: html`<dl class="roles">
<dt>Administrators</dt><dd>Run the instance: boards, staff accounts, federation with other servers, and all moderation.</dd>
<dt>Global moderators</dt><dd>Moderate every board: reports, deletions, bans, sticky and closed threads.</dd>
<dt>Board owners</dt><dd>Configure their boards and moderate them, and choose their volunteers.</dd>
<dt>Board volunteers</dt><dd>Moderate the boards they were given.</dd>
</dl>`,
    },
    {
      id: "federation",
      title: "Federation",
      body: html`<p>Posts from the fediverse follow the same rules: staff can delete them like any other post, and the
administrators decide which servers this instance federates with.</p>`,
    },
  ];
}

const SEVERITY_WORDS: Record<PublicDomainBlock["severity"], string> = {
  suspend: "Suspended",
  silence: "Limited",
};

/**
 * The servers this instance limits, for the moderation page: each public rule with its public
 * reason (obfuscated domains as masked, with their digest to match them by) and, in allowlist mode,
 * the servers it federates with.
 */
export function domainRulesSection(
  mode: "blocklist" | "allowlist",
  blocks: readonly PublicDomainBlock[],
  allows: readonly DomainAllow[],
  lostByDigest: ReadonlyMap<string, number> = new Map(),
): AboutSection {
  const allowlist =
    mode === "allowlist"
      ? html`<p>This instance federates <strong>only with the servers listed here</strong> (and their subdomains); it
exchanges nothing with any other server.</p>
${
  allows.length === 0
    ? html`<p>No server is listed yet.</p>`
    : html`<ul class="allowed-servers">${allows.map((a) => html`<li><code>${a.domain}</code></li>`)}</ul>`
}`
      : null;
  const rows = blocks.map(
    (b) =>
      html`<tr><td><code title="SHA-256: ${b.digest}">${b.domain}</code></td><td>${SEVERITY_WORDS[b.severity]}</td><td>${b.comment || html`<em>no reason given</em>`}</td><td class="follows-lost">${lostByDigest.get(b.digest) ?? 0}</td></tr>`,
  );
  const limited =
    blocks.length === 0
      ? html`<p>${mode === "allowlist" ? "No listed server is limited." : "This instance does not limit any server."}</p>`
      : html`<p><strong>Suspended</strong> servers cannot exchange anything with this instance: their posts are not
shown and nothing is sent to them. Posts from <strong>limited</strong> servers are hidden from board indexes and
catalogs, and their new threads wait for a moderator. <strong>Follows lost</strong> counts the follows between
this instance's boards and the server that the rule severed, both ways.</p>
<table class="domain-rules">
<thead><tr><th>Server</th><th>Severity</th><th>Reason</th><th>Follows lost</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<p>The same list as JSON: <a href="/api/v1/instance/domain_blocks"><code>/api/v1/instance/domain_blocks</code></a>.</p>`;
  return {
    id: "servers",
    title: mode === "allowlist" ? "Federated and limited servers" : "Limited servers",
    body: html`${allowlist}${limited}`,
  };
}

/** The instance's moderation page: rules, reports, bans, staff roles, and any `extra` sections. */
export function moderationPage(s: LayoutDeps, extra: readonly AboutSection[] = []): string {
  const name = instanceName(s);
  const list = [...moderationSections(), ...extra];
  const body = html`<article class="about">
<h1>Rules and moderation</h1>
<p>How ${name} is moderated.</p>
${toc(list)}
${sections(list)}
</article>`;
  return layout(s, {
    title: "Rules and moderation",
    description: `How ${name} is moderated`,
    body,
    bodyClass: "about-page",
  });
}
