import type { AdminPageKit } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { boardRuleInput } from "./fields.js";
import { actorOf, formFields } from "./page-parts.js";
import { boardRulesView } from "./rule-views.js";

/* A board's own domain rules, for the board's owners and the admins: the list, adding, removing. */

/** The kit answers 404 for a `:uri` no board can have, before it checks who manages the board. */
const BOARD_MANAGERS = { needs: "manage_board" } as const;

export function boardRulePages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/boards/:uri/domains", BOARD_MANAGERS, async (req, res, v) => {
    const board = String(req.params["uri"]);
    render(
      req,
      res,
      v,
      `Domain rules of /${board}/`,
      boardRulesView(v, board, await s.defederation.listBoardRules(board)),
    );
  });

  post("/admin/boards/:uri/domains", BOARD_MANAGERS, async (req, res, v, body) => {
    const board = String(req.params["uri"]);
    const input = boardRuleInput(formFields(body, ["domain", "severity", "reject_media", "comment"]));
    await s.defederation.createBoardRule(board, input, actorOf(v.user));
    back(res, v, "board_rule_created");
  });

  post("/admin/boards/:uri/domains/:id/delete", BOARD_MANAGERS, async (req, res, v) => {
    const board = String(req.params["uri"]);
    await s.defederation.deleteBoardRule(board, String(req.params["id"]), actorOf(v.user));
    back(res, v, "board_rule_deleted");
  });
}
