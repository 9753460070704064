/**
 * The WebFinger address context (https://purl.archive.org/socialweb/webfinger, FEP-2c59): one term,
 * `webfinger`, an actor's preferred `user@host` address. WordPress and Mitra list it on their actors.
 */
export default {
  "@context": {
    wf: "https://purl.archive.org/socialweb/webfinger#",
    xsd: "http://www.w3.org/2001/XMLSchema#",
    webfinger: { "@id": "wf:webfinger", "@type": "xsd:string" },
  },
} as const;
