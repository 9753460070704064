import type { Request, Response } from "express";
import { problemType, sendProblem } from "../../server/http/problem-document.js";
import type { Services } from "../../server/services/container.js";
import { keyIdOfHeaders } from "../http/key-id.js";
import { PublicKeyCache, SignatureError, verifyRequest } from "../http/signatures.js";
import { signerRefusal } from "../inbox/inbox.js";
import type { RemoteActors } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";

/** How old a signed Date may be, and how far ahead of our clock (as for inbox POSTs). */
const MAX_SKEW_MS = 60 * 60 * 1000;
const MAX_FUTURE_MS = 5 * 60 * 1000;

function problem(res: Response, status: 401 | 403, detail: string): void {
  const vary = { Vary: "Accept, Signature" };
  if (status === 401) {
    sendProblem(
      res,
      { type: problemType("unauthorized"), title: "Signature required", status, detail },
      { ...vary, "WWW-Authenticate": 'Signature realm="ActivityPub"' },
    );
  } else sendProblem(res, { type: problemType("forbidden"), title: "Forbidden", status, detail }, vary);
}

/**
 * Authorized fetch (AUTHORIZED_FETCH=on): ActivityPub GETs must be signed by a remote actor's key,
 * as Mastodon's secure mode asks. A signer on a suspended domain (for the instance, or for the board
 * read) is refused with 403 before its key is looked up; any other failure to establish who signed
 * is a 401. The key is read from the actor cache or fetched through the guarded client. With the
 * setting off, every request passes.
 */
export class SignedReads {
  readonly #keys = new PublicKeyCache();

  constructor(
    private readonly s: Pick<Services, "config" | "clock" | "policy">,
    private readonly actors: RemoteActors,
  ) {}

  get enabled(): boolean {
    return this.s.config.authorizedFetch;
  }

  /**
   * True when the request may be answered; otherwise the refusal has been sent. `board`: the board
   * whose document is read, whose own rules then apply too.
   */
  async admit(req: Request, res: Response, board: string | null = null): Promise<boolean> {
    if (!this.enabled) return true;
    const keyId = keyIdOfHeaders(req.headers);
    if (keyId === null) {
      problem(res, 401, "This instance answers only signed ActivityPub requests (authorized fetch).");
      return false;
    }
    const refusal = signerRefusal(this.s, keyId, board);
    if (refusal !== null) {
      problem(res, 403, refusal);
      return false;
    }
    const request = { method: req.method, path: req.originalUrl, headers: req.headers };
    const options = {
      maxSkewMs: MAX_SKEW_MS,
      maxFutureMs: MAX_FUTURE_MS,
      now: new Date(this.s.clock()),
      keyCache: this.#keys,
    };
    let signer: string;
    try {
      const { actor, fromCache } = await this.actors.forKey(keyId);
      try {
        verifyRequest(request, { ...options, publicKeyPem: actor.publicKeyPem });
        signer = actor.id;
      } catch (err) {
        if (!(err instanceof SignatureError) || !fromCache || (err.reason !== "signature" && err.reason !== "key")) {
          throw err;
        }
        // The key may have been rotated since it was cached (asked at most once a minute per key).
        const fresh = await this.actors.refetchForKey(keyId);
        if (fresh === null) throw err;
        verifyRequest(request, { ...options, publicKeyPem: fresh.publicKeyPem });
        signer = fresh.id;
      }
    } catch (err) {
      if (err instanceof SignatureError || err instanceof RemoteError) {
        problem(res, 401, err.message);
        return false;
      }
      throw err;
    }
    // The key's owner may sit on another domain than the key's URL said (after redirects).
    const owner = signerRefusal(this.s, signer, board);
    if (owner !== null) {
      problem(res, 403, owner);
      return false;
    }
    // A signed answer is for its signer: shared caches must not hand it to anyone else.
    res.locals["signedRead"] = true;
    return true;
  }
}
