import { randomUUID } from "node:crypto";
import { isBoardUri } from "../../domain/board.js";
import type { BoardDomainRule } from "../../domain/defederation/rules.js";
import type { AuditActor } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { ruleDomain, text } from "./rule-input.js";
import type { DomainRuleWriter } from "./rule-writer.js";
import type { BoardRuleInput, DefederationOptions } from "./types.js";

/** A board's own rules on other domains (silence or suspend there only), each change audited. */
export class BoardRules {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;

  constructor(o: DefederationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  /** The rules of one board (refused for a board that does not exist), or of every board. */
  async listBoardRules(board?: string): Promise<BoardDomainRule[]> {
    if (board !== undefined) await this.#board(board);
    return this.#o.store.defederation.rules.listBoardRules(board);
  }

  async #board(uri: string): Promise<void> {
    if (!isBoardUri(uri) || !(await this.#o.store.boards.get(uri))) {
      throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    }
  }

  async createBoardRule(board: string, input: BoardRuleInput, actor: AuditActor): Promise<BoardDomainRule> {
    await this.#board(board);
    const domain = ruleDomain(input.domain, this.#o.policy.localDomain);
    const severity = input.severity ?? "suspend";
    if (severity !== "silence" && severity !== "suspend") {
      throw new DomainError("invalid", "A board rule's severity is silence or suspend.");
    }
    const rule: BoardDomainRule = {
      id: randomUUID(),
      board,
      domain,
      severity,
      rejectMedia: input.rejectMedia ?? false,
      comment: input.comment === undefined ? "" : text(input.comment, "comment"),
      createdAt: this.#o.clock(),
    };
    await this.#writer.apply(
      [{ op: "create_board_rule", rule }],
      [this.#writer.auditEntry(actor, "board_rule.create", domain, null, rule, rule.comment, null)],
    );
    return rule;
  }

  async deleteBoardRule(board: string, id: string, actor: AuditActor): Promise<BoardDomainRule> {
    const rule = (await this.listBoardRules(board)).find((r) => r.id === id);
    if (!rule) throw new DomainError("not_found", "No such board rule.");
    await this.#writer.apply(
      [{ op: "delete_board_rule", id }],
      [this.#writer.auditEntry(actor, "board_rule.delete", rule.domain, rule, null, "", null)],
    );
    return rule;
  }
}
