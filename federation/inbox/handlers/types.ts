import type { RemoteActor } from "../../../server/domain/federation-ports.js";
import type { Services } from "../../../server/services/container.js";
import type { GuardedFetch } from "../../http/guarded-fetch.js";
import type { FederationIds } from "../../ids.js";
import type { RemoteActors } from "../../remote/actors.js";
import type { RemoteObjects } from "../../remote/objects.js";
import type { NormalizedActivity } from "../../vocab/normalize.js";
import type { InboxResult } from "../errors.js";
import type { GroupModerators } from "../group-moderators.js";
import type { InboxOutbox } from "../outbox.js";
import type { SanitizerThreads } from "../sanitizer-threads.js";

/** The application services the inbox and its handlers use. */
export type InboxServices = Pick<
  Services,
  "store" | "logger" | "clock" | "config" | "reader" | "posting" | "policy" | "limits" | "events" | "probation"
> &
  Partial<Pick<Services, "metrics">>;

/** What every activity handler works with. */
export interface InboxDeps {
  s: InboxServices;
  ids: FederationIds;
  /** The guarded client, for media (unsigned GETs of attachments). */
  http: GuardedFetch;
  actors: RemoteActors;
  objects: RemoteObjects;
  /** Who moderates the groups our boards follow (their moderation is applied to our mirrors). */
  moderators: GroupModerators;
  outbox: InboxOutbox;
  /** Where remote post bodies are sanitized. */
  sanitizer: SanitizerThreads;
  /** Told when a group accepts a board's follow (the board then catches up with its outbox). */
  followAccepted: (groupId: string) => void;
}

/** A verified activity: its signer is its actor. */
export interface Inbound {
  activity: NormalizedActivity;
  /** The activity's JSON as received (within the shape limits). */
  json: Record<string, unknown>;
  /** The board whose inbox it was posted to; null for the shared and instance inboxes. */
  board: string | null;
  /** The actor whose key verified the request, as cached; null when the caller vouched for it. */
  signer: RemoteActor | null;
  /**
   * The last try of an activity kept for retries: what is still out of reach is done without (a
   * post is taken without the image its server does not serve) instead of failing again.
   */
  lastChance?: boolean;
}

/** Handles one activity type. Throws InboxRefusal to refuse; returns what became of it otherwise. */
export type Handler = (deps: InboxDeps, inbound: Inbound) => Promise<InboxResult>;
