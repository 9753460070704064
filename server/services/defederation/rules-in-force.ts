import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  DomainPolicyIndex,
  normalizeDomain,
  type PolicyDecision,
} from "../../domain/defederation/rules.js";
import type { Clock } from "../clock.js";

/**
 * The domain rules in force on this instance, as every boundary reads them (inbox, delivery,
 * fetches, pages, the JSON API). Checks are synchronous and allocation-free: the rules are compiled
 * into a `DomainPolicyIndex`, which the moderation service swaps whole when a rule changes, so a
 * check never waits on the store and never sees half a change.
 */
export class DomainPolicy {
  readonly #clock: Clock;
  readonly mode: "blocklist" | "allowlist";
  readonly localDomain: string;
  #index: DomainPolicyIndex;
  #version = 0;
  readonly #listeners = new Set<(change: PolicyChange) => void>();

  constructor(opts: { clock: Clock; mode: "blocklist" | "allowlist"; publicUrl: string }) {
    this.#clock = opts.clock;
    this.mode = opts.mode;
    this.localDomain = normalizeDomain(new URL(opts.publicUrl).hostname) ?? "";
    this.#index = this.compile({ blocks: [], allows: [], boardRules: [] });
  }

  /** Compiles rules for this instance (its mode and own domain). */
  compile(rules: {
    blocks: readonly DomainBlock[];
    allows: readonly DomainAllow[];
    boardRules: readonly BoardDomainRule[];
  }): DomainPolicyIndex {
    return new DomainPolicyIndex({ ...rules, mode: this.mode, localDomain: this.localDomain });
  }

  /** Incremented by every change: caches of filtered pages key on it. */
  get version(): number {
    return this.#version;
  }

  get index(): DomainPolicyIndex {
    return this.#index;
  }

  /** The decision for a normalised host, instance-wide or for one board. */
  check(host: string, board?: string): PolicyDecision {
    return this.#index.check(host, this.#clock(), board);
  }

  /** The decision for the host of a URL; a URL without a usable host counts as suspended. */
  checkUrl(url: string, board?: string): PolicyDecision {
    return this.#index.checkUrl(url, this.#clock(), board);
  }

  /** Whether anything may be exchanged with the URL's host (not suspended, allowed in allowlist mode). */
  allowsUrl(url: string, board?: string): boolean {
    return !this.checkUrl(url, board).suspended;
  }

  /**
   * Puts new rules in force and tells the listeners which domains changed (empty = unknown, for
   * example a reload: listeners then re-check everything they hold).
   */
  replace(index: DomainPolicyIndex, domains: readonly string[] = []): void {
    const previous = this.#index;
    this.#index = index;
    this.#version++;
    for (const l of this.#listeners) {
      try {
        l({ previous, current: index, domains });
      } catch {
        // A listener's failure is its own to log; the rules are in force regardless.
      }
    }
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: (change: PolicyChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface PolicyChange {
  previous: DomainPolicyIndex;
  current: DomainPolicyIndex;
  /** The domains whose rules changed; empty when unknown (check everything). */
  domains: readonly string[];
}
