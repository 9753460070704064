/**
 * The Litepub context (https://litepub.social/litepub/context.jsonld), which Pleroma and Akkoma also
 * serve from every instance at `/schemas/litepub-0.1.jsonld`. It builds on ActivityStreams and
 * security v1 and names the Mastodon, OStatus, Misskey and Litepub extension terms those servers send.
 */
export default {
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
      litepub: "http://litepub.social/ns#",
      ostatus: "http://ostatus.org#",
      schema: "http://schema.org#",
      toot: "http://joinmastodon.org/ns#",
      misskey: "https://misskey-hub.net/ns#",
      fedibird: "http://fedibird.com/ns#",
      vcard: "http://www.w3.org/2006/vcard/ns#",

      Emoji: "toot:Emoji",
      Hashtag: "as:Hashtag",
      PropertyValue: "schema:PropertyValue",
      value: "schema:value",
      atomUri: "ostatus:atomUri",
      conversation: { "@id": "ostatus:conversation", "@type": "@id" },
      discoverable: "toot:discoverable",
      manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
      sensitive: "as:sensitive",
      alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
      quoteUrl: "as:quoteUrl",
      quoteUri: "fedibird:quoteUri",
      capabilities: "litepub:capabilities",
      acceptsChatMessages: "litepub:acceptsChatMessages",
      invisible: "litepub:invisible",
      directMessage: "litepub:directMessage",
      listMessage: { "@id": "litepub:listMessage", "@type": "@id" },
      oauthRegistrationEndpoint: { "@id": "litepub:oauthRegistrationEndpoint", "@type": "@id" },
      formerRepresentations: "litepub:formerRepresentations",
      EmojiReact: "litepub:EmojiReact",
      ChatMessage: "litepub:ChatMessage",
    },
  ],
} as const;
