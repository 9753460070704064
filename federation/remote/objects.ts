import { type NormalizedDocument, normalizeDocument } from "../vocab/normalize.js";
import { RemoteError } from "./errors.js";
import { fetchDocument, type SignedGetter, sameId, short } from "./fetch.js";

export interface FetchedObject {
  document: NormalizedDocument;
  /** The JSON as served, for passing on (an Announce of it). */
  json: unknown;
}

/**
 * Objects fetched from their origin by id, for when an embedded copy is not to be believed. The
 * document must carry the id it was asked for and be served from that very URL (after redirects),
 * so a peer can only ever speak for its own documents. Nothing is cached here.
 */
export class RemoteObjects {
  constructor(
    private readonly http: SignedGetter,
    /**
     * Looks at every document fetched before it is handed out, and throws to refuse it (the
     * inbox's domain rules: a fetched Note may reply to, quote or mention a suspended domain).
     */
    private readonly screen?: (document: NormalizedDocument, json: unknown) => void | Promise<void>,
  ) {}

  async fetch(id: string): Promise<FetchedObject> {
    const fetched = await fetchDocument(this.http, id);
    const doc = normalizeDocument(fetched.json);
    if (!doc.ok) throw new RemoteError("invalid", `${short(id)} is not a usable document: ${doc.reason}.`);
    if (!sameId(doc.id, id)) {
      throw new RemoteError("mismatch", `The document at ${short(id)} claims the id ${short(doc.id)}.`);
    }
    if (!sameId(fetched.url, id)) {
      throw new RemoteError("mismatch", `${short(id)} was served from another address, ${short(fetched.url)}.`);
    }
    if (this.screen) await this.screen(doc, fetched.json);
    return { document: doc, json: fetched.json };
  }
}
