// The subset of the `jsonld` package (v9, which ships no type declarations) that federation/ uses.
declare module "jsonld" {
  export interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
    tag?: string;
  }
  export type DocumentLoader = (url: string, options?: unknown) => Promise<RemoteDocument>;
  export interface JsonLdOptions {
    documentLoader?: DocumentLoader;
    expandContext?: unknown;
    base?: string | null;
    safe?: boolean;
    compactArrays?: boolean;
    compactToRelative?: boolean;
    graph?: boolean;
  }
  interface JsonLd {
    expand(input: unknown, options?: JsonLdOptions): Promise<unknown[]>;
    compact(input: unknown, ctx: unknown, options?: JsonLdOptions): Promise<Record<string, unknown>>;
  }
  const jsonld: JsonLd;
  export default jsonld;
}
