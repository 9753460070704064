import { handleAccept, handleReject } from "./accept.js";
import { handleAnnounce } from "./announce.js";
import { handleCreate } from "./create.js";
import { handleDelete } from "./delete.js";
import { handleFlag } from "./flag.js";
import { handleFollow } from "./follow.js";
import { handleDirectModeration } from "./group-moderation.js";
import type { Handler } from "./types.js";
import { handleUndo } from "./undo.js";
import { handleUpdate } from "./update.js";

/** The handler of each activity type the inbox acts on; every other type is answered 202 and ignored. */
export const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["Follow", handleFollow],
  ["Undo", handleUndo],
  ["Accept", handleAccept],
  ["Reject", handleReject],
  ["Create", handleCreate],
  ["Announce", handleAnnounce],
  ["Update", handleUpdate],
  ["Delete", handleDelete],
  ["Flag", handleFlag],
  ["Lock", handleDirectModeration],
  ["Add", handleDirectModeration],
  ["Remove", handleDirectModeration],
  ["Block", handleDirectModeration],
]);
