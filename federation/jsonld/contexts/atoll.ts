/**
 * Atoll's own context, served at `${PUBLIC_URL}/ns/atoll.jsonld`: the imageboard fields a post carries
 * beyond ActivityStreams. The namespace IRI is per instance because each instance serves its own copy.
 */

/** Where an instance serves its context document. */
export function atollContextUrl(publicUrl: string): string {
  return `${trimSlash(publicUrl)}/ns/atoll.jsonld`;
}

/** The namespace the terms expand into: `${publicUrl}/ns/atoll#`. */
export function atollNamespace(publicUrl: string): string {
  return `${trimSlash(publicUrl)}/ns/atoll#`;
}

/** The context document for an instance served at `publicUrl`. */
export function buildAtollContext(publicUrl: string) {
  return {
    "@context": {
      atoll: atollNamespace(publicUrl),
      xsd: "http://www.w3.org/2001/XMLSchema#",
      postNumber: { "@id": "atoll:postNumber", "@type": "xsd:nonNegativeInteger" },
      tripcode: "atoll:tripcode",
      posterId: "atoll:posterId",
      sage: { "@id": "atoll:sage", "@type": "xsd:boolean" },
      capcode: "atoll:capcode",
      posterToken: "atoll:posterToken",
      board: { "@id": "atoll:board", "@type": "@id" },
    },
  } as const;
}

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.replace(/\/+$/, "") : url;
}
