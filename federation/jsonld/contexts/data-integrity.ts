/**
 * The data-integrity contexts (https://w3id.org/security/data-integrity/v1 and /v2): the `proof`
 * graph container and the `DataIntegrityProof` type with its scoped, protected terms. Version 2 adds
 * `previousProof`, `digestMultibase` and a datatype for `cryptosuite`; Mitra sends it with every
 * activity, so both are preloaded.
 */
const SEC = "https://w3id.org/security#";
const XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime";

/** Verification relationships that `proofPurpose` names, scoped under it. */
const proofPurposeContext = {
  "@protected": true,
  id: "@id",
  type: "@type",
  assertionMethod: { "@id": `${SEC}assertionMethod`, "@type": "@id", "@container": "@set" },
  authentication: { "@id": `${SEC}authenticationMethod`, "@type": "@id", "@container": "@set" },
  capabilityInvocation: { "@id": `${SEC}capabilityInvocationMethod`, "@type": "@id", "@container": "@set" },
  capabilityDelegation: { "@id": `${SEC}capabilityDelegationMethod`, "@type": "@id", "@container": "@set" },
  keyAgreement: { "@id": `${SEC}keyAgreementMethod`, "@type": "@id", "@container": "@set" },
} as const;

const proofTermsV1 = {
  "@protected": true,
  id: "@id",
  type: "@type",
  challenge: `${SEC}challenge`,
  created: { "@id": "http://purl.org/dc/terms/created", "@type": XSD_DATETIME },
  domain: `${SEC}domain`,
  expires: { "@id": `${SEC}expiration`, "@type": XSD_DATETIME },
  nonce: `${SEC}nonce`,
  proofPurpose: { "@id": `${SEC}proofPurpose`, "@type": "@vocab", "@context": proofPurposeContext },
  cryptosuite: `${SEC}cryptosuite`,
  proofValue: { "@id": `${SEC}proofValue`, "@type": `${SEC}multibase` },
  verificationMethod: { "@id": `${SEC}verificationMethod`, "@type": "@id" },
} as const;

const proofContainer = { "@id": `${SEC}proof`, "@type": "@id", "@container": "@graph" } as const;

export const dataIntegrityV1 = {
  "@context": {
    id: "@id",
    type: "@type",
    "@protected": true,
    proof: proofContainer,
    DataIntegrityProof: { "@id": `${SEC}DataIntegrityProof`, "@context": proofTermsV1 },
  },
} as const;

export const dataIntegrityV2 = {
  "@context": {
    id: "@id",
    type: "@type",
    "@protected": true,
    digestMultibase: { "@id": `${SEC}digestMultibase`, "@type": `${SEC}multibase` },
    proof: proofContainer,
    DataIntegrityProof: {
      "@id": `${SEC}DataIntegrityProof`,
      "@context": {
        ...proofTermsV1,
        previousProof: { "@id": `${SEC}previousProof`, "@type": "@id" },
        cryptosuite: { "@id": `${SEC}cryptosuite`, "@type": `${SEC}cryptosuiteString` },
      },
    },
  },
} as const;
