import { Router } from "express";
import type { Services } from "../server/services/container.js";
import { FederationContext } from "./context.js";
import { FederationIds } from "./ids.js";
import { LocalKeys } from "./keys.js";
import { objectsRouter } from "./routes/objects.js";
import { wellKnownRouter } from "./routes/well-known.js";

/** The ActivityPub side of one instance, built by the composition root. */
export interface Federation {
  ids: FederationIds;
  keys: LocalKeys;
  context: FederationContext;
  /** Routes mounted before the HTML pages, so thread URLs answer content negotiation. */
  router: Router;
  close(): Promise<void>;
}

export function createFederation(s: Services): Federation {
  const ids = new FederationIds(s.config.publicUrl);
  const keys = new LocalKeys(s.store.federation.keys);
  const context = new FederationContext(s, ids, keys);
  const router = Router();
  // NodeInfo describes the instance whether or not it federates.
  router.use(wellKnownRouter(s, ids));
  if (s.config.federation) router.use(objectsRouter(s, ids, keys));
  return { ids, keys, context, router, close: async () => {} };
}
