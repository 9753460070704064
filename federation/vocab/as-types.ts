/** ActivityStreams type names, by role, for choosing among several types and telling documents apart. */

export const ACTIVITY_TYPES: ReadonlySet<string> = new Set([
  "Accept",
  "Add",
  "Announce",
  "Arrive",
  "Block",
  "Create",
  "Delete",
  "Dislike",
  "Flag",
  "Follow",
  "Ignore",
  "Invite",
  "Join",
  "Leave",
  "Like",
  "Listen",
  "Move",
  "Offer",
  "Read",
  "Reject",
  "Remove",
  "TentativeAccept",
  "TentativeReject",
  "Travel",
  "Undo",
  "Update",
  "View",
  "Activity",
  "IntransitiveActivity",
]);

export const ACTOR_TYPES: ReadonlySet<string> = new Set(["Application", "Group", "Organization", "Person", "Service"]);

export const OBJECT_TYPES: ReadonlySet<string> = new Set([
  "Article",
  "Audio",
  "Document",
  "Event",
  "Image",
  "Note",
  "Object",
  "Page",
  "Place",
  "Profile",
  // Polls: an activity subtype in the vocabulary, but sent as an object (Create(Question)).
  "Question",
  "Relationship",
  "Tombstone",
  "Video",
]);

export const COLLECTION_TYPES: ReadonlySet<string> = new Set([
  "Collection",
  "OrderedCollection",
  "CollectionPage",
  "OrderedCollectionPage",
]);

export const LINK_TYPES: ReadonlySet<string> = new Set(["Link", "Mention", "Hashtag"]);

export function isKnownType(t: string): boolean {
  return (
    ACTIVITY_TYPES.has(t) || OBJECT_TYPES.has(t) || ACTOR_TYPES.has(t) || COLLECTION_TYPES.has(t) || LINK_TYPES.has(t)
  );
}
