/**
 * Lemmy's context (https://join-lemmy.org/context.json): community and moderation terms shared by the
 * threadiverse (Lemmy, Mbin, PieFed). It pulls in ActivityStreams and security v1 itself, so the `as:`
 * prefix its terms use is defined whatever order a sender lists its contexts in.
 */
export default {
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
      lemmy: "https://join-lemmy.org/ns#",
      litepub: "http://litepub.social/ns#",
      pt: "https://joinpeertube.org/ns#",
      sc: "http://schema.org/",
      ChatMessage: "litepub:ChatMessage",
      commentsEnabled: "pt:commentsEnabled",
      sensitive: "as:sensitive",
      matrixUserId: "lemmy:matrixUserId",
      postingRestrictedToMods: "lemmy:postingRestrictedToMods",
      removeData: "lemmy:removeData",
      stickied: "lemmy:stickied",
      moderators: { "@type": "@id", "@id": "lemmy:moderators" },
      expires: "as:endTime",
      distinguished: "lemmy:distinguished",
      language: "sc:inLanguage",
      identifier: "sc:identifier",
    },
  ],
} as const;
