import { type Request, Router } from "express";
import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import type { Services } from "../../server/services/container.js";
import { keyIdOfHeaders } from "../http/key-id.js";
import { PublicKeyCache, SignatureError, verifyRequest } from "../http/signatures.js";
import type { RemoteActors } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";

const MAX_SKEW_MS = 60 * 60 * 1000;
const MAX_FUTURE_MS = 5 * 60 * 1000;
/** What instance actors are, by the fediverse's convention (Mastodon, Atoll, GoToSocial). */
const INSTANCE_ACTOR_TYPES = new Set(["Application", "Service"]);

/**
 * `GET /api/v1/media_bans/list?format=atoll|sha256|pdq`: this instance's own media bans, offered to
 * chosen peers only. It answers a bearer token an admin minted for it, or a request signed by the
 * instance actor of a domain an admin granted; anyone else gets 401 (nothing to identify them) or
 * 403 (identified, not granted). A signer's key is fetched only for a granted domain, so the list
 * costs no outbound fetch for anyone else.
 */
export function mediaBanListRouter(s: Pick<Services, "mediaBanOffers" | "clock">, actors: RemoteActors): Router {
  const r = Router();
  const keys = new PublicKeyCache();

  const admitSigned = async (req: Request, keyId: string): Promise<void> => {
    const domain = domainOfUrl(keyId);
    if (domain === null || !(await s.mediaBanOffers.domainAdmits(domain))) {
      throw new DomainError("forbidden", "This list is offered to chosen peers only.");
    }
    const request = { method: req.method, path: req.originalUrl, headers: req.headers };
    const options = { maxSkewMs: MAX_SKEW_MS, maxFutureMs: MAX_FUTURE_MS, now: new Date(s.clock()), keyCache: keys };
    let signer: Awaited<ReturnType<RemoteActors["forKey"]>>["actor"];
    try {
      const { actor, fromCache } = await actors.forKey(keyId);
      signer = actor;
      try {
        verifyRequest(request, { ...options, publicKeyPem: actor.publicKeyPem });
      } catch (err) {
        // The key may have been rotated since it was cached.
        const fresh = fromCache && err instanceof SignatureError ? await actors.refetchForKey(keyId) : null;
        if (fresh === null) throw err;
        verifyRequest(request, { ...options, publicKeyPem: fresh.publicKeyPem });
        signer = fresh;
      }
    } catch (err) {
      if (err instanceof SignatureError || err instanceof RemoteError) {
        throw new DomainError("unauthorized", `The signature could not be verified: ${err.message}`);
      }
      throw err;
    }
    // The key's owner must itself be a granted domain's instance actor, not any account there.
    if (!INSTANCE_ACTOR_TYPES.has(signer.type) || !(await s.mediaBanOffers.domainAdmits(signer.domain))) {
      throw new DomainError("forbidden", "This list is offered to chosen peers' instance actors only.");
    }
  };

  r.get("/api/v1/media_bans/list", async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Vary", "Authorization, Signature");
    const auth = req.headers.authorization;
    const keyId = keyIdOfHeaders(req.headers);
    if (auth !== undefined) {
      const m = /^Bearer (\S+)$/.exec(auth);
      if (!m || !(await s.mediaBanOffers.tokenAdmits(m[1] as string))) {
        throw new DomainError("forbidden", "This token does not open the list.");
      }
    } else if (keyId !== null) {
      await admitSigned(req, keyId);
    } else {
      throw new DomainError(
        "unauthorized",
        "This list is offered to chosen peers only: sign the request or give a token.",
      );
    }
    const { text, contentType } = await s.mediaBanOffers.listText(req.query["format"]);
    res.type(contentType).send(text);
  });

  return r;
}
