import { randomUUID } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import {
  CompiledFilters,
  compileFilterRegex,
  type FilterFields,
  type FilterOrigin,
  type FilterVerdict,
} from "../domain/filter-matching.js";
import type { Store } from "../domain/ports.js";
import { can } from "../domain/staff.js";
import {
  checkedFilterFields,
  type FilterAuditAction,
  type FilterAuditEntry,
  type WordFilter,
} from "../domain/word-filters.js";
import type { Clock } from "./clock.js";
import type { Actor } from "./staff.js";

/** Members a filter is created or changed with, as received (checked here). */
export interface FilterInput {
  pattern?: unknown;
  regex?: unknown;
  board?: unknown;
  action?: unknown;
  replacement?: unknown;
  scope?: unknown;
}

/**
 * The word filters: who may change them (instance staff every filter, a board's owner the board's),
 * their audit trail, and the compiled rules every post is checked against. The compiled rules are
 * rebuilt when the store's filter version moves, so a change made by another process sharing the
 * store is in force from its next post on.
 */
export class WordFilterService {
  #compiled = new CompiledFilters([]);
  #version = -1;
  #loading: Promise<CompiledFilters> | null = null;

  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** The filters `user` may manage: all for instance staff, else those of the user's boards. */
  async list(user: Actor, board?: string): Promise<WordFilter[]> {
    const all = await this.deps.store.wordFilters.list();
    return all.filter((f) => mayManage(user, f.board) && (board === undefined || f.board === board));
  }

  async get(user: Actor, id: string): Promise<WordFilter> {
    const f = await this.deps.store.wordFilters.get(id);
    if (!f || !mayManage(user, f.board)) throw new DomainError("not_found", "No such filter.");
    return f;
  }

  async create(user: Actor, input: FilterInput): Promise<WordFilter> {
    const fields = checkedFilterFields({ ...input } as Required<FilterInput>);
    this.refuseUnless(user, fields.board);
    await this.boardExists(fields.board);
    if (fields.regex) compileFilterRegex(fields.pattern);
    const now = this.deps.clock();
    const filter: WordFilter = { id: randomUUID(), ...fields, createdAt: now, updatedAt: now };
    await this.deps.store.wordFilters.create(filter, this.audit(user, filter, "create"));
    this.#version = -1;
    return filter;
  }

  /** Changes the members `patch` names; the others keep their values. */
  async update(user: Actor, id: string, patch: FilterInput): Promise<WordFilter> {
    const old = await this.get(user, id);
    const merged = { ...old, ...definedOnly(patch) };
    const fields = checkedFilterFields({
      pattern: merged.pattern,
      regex: merged.regex,
      board: merged.board,
      action: merged.action,
      replacement: merged.replacement,
      scope: merged.scope,
    });
    this.refuseUnless(user, fields.board);
    if (fields.board !== old.board) await this.boardExists(fields.board);
    if (fields.regex) compileFilterRegex(fields.pattern);
    const filter: WordFilter = { ...old, ...fields, updatedAt: this.deps.clock() };
    if (!(await this.deps.store.wordFilters.update(filter, this.audit(user, filter, "update")))) {
      throw new DomainError("not_found", "No such filter.");
    }
    this.#version = -1;
    return filter;
  }

  async remove(user: Actor, id: string): Promise<WordFilter> {
    const old = await this.get(user, id);
    if (!(await this.deps.store.wordFilters.remove(id, this.audit(user, old, "delete")))) {
      throw new DomainError("not_found", "No such filter.");
    }
    this.#version = -1;
    return old;
  }

  /** The audit trail of the filters `user` may manage, newest first. */
  async auditTrail(user: Actor, limit = 100): Promise<FilterAuditEntry[]> {
    const all = await this.deps.store.wordFilters.audit(Math.min(Math.max(1, limit), 1000));
    return all.filter((e) => mayManage(user, e.filter.board));
  }

  /**
   * What the filters of `board` make of a post from `origin`. `version`: the store's filter version
   * as the caller just read it, so it is not read again.
   */
  async check(board: string, origin: FilterOrigin, fields: FilterFields, version?: number): Promise<FilterVerdict> {
    return (await this.compiled(version)).check(board, origin, fields);
  }

  /** The rules in force, recompiled when the store's version (or `known`, just read) has moved. */
  async compiled(known?: number): Promise<CompiledFilters> {
    const version = known ?? (await this.deps.store.wordFilters.version());
    if (version === this.#version) return this.#compiled;
    this.#loading ??= (async () => {
      try {
        const rules = await this.deps.store.wordFilters.list();
        const compiled = new CompiledFilters(rules);
        this.#compiled = compiled;
        this.#version = version;
        return compiled;
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  private refuseUnless(user: Actor, board: string | null): void {
    if (!mayManage(user, board)) {
      throw new DomainError(
        "forbidden",
        board === null
          ? "Only instance staff manage instance-wide filters."
          : `You may not manage the filters of /${board}/.`,
      );
    }
  }

  private async boardExists(board: string | null): Promise<void> {
    if (board !== null && !(await this.deps.store.boards.get(board))) {
      throw new DomainError("invalid", `board: /${board}/ does not exist.`);
    }
  }

  private audit(user: Actor, filter: WordFilter, action: FilterAuditAction): FilterAuditEntry {
    return { id: randomUUID(), filterId: filter.id, action, filter, by: user.username, at: this.deps.clock() };
  }
}

/** Instance filters are instance staff's; a board's filters are also its owner's. */
function mayManage(user: Actor, board: string | null): boolean {
  return board === null ? can(user, "manage_instance", null) : can(user, "manage_board", board);
}

function definedOnly(patch: FilterInput): FilterInput {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}
