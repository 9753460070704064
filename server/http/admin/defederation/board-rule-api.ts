import { idParam } from "../mastodon-paging.js";
import type { ApiKit } from "./api-kit.js";
import { boardRuleInput, validated } from "./fields.js";
import { boardRuleJson } from "./representation.js";

/** A board's own domain rules. */
export function boardRuleApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/boards/:uri/domain_rules", async (req, res) => {
    res.json((await k.s.defederation.listBoardRules(k.boardParam(req))).map(boardRuleJson));
  });

  k.r.post("/api/v1/admin/boards/:uri/domain_rules", ...k.body, async (req, res) => {
    const board = k.boardParam(req);
    const input = boardRuleInput(k.fields(req));
    const rule = await validated(() => k.s.defederation.createBoardRule(board, input, k.actorOf(res)));
    res.status(201).location(`/api/v1/admin/boards/${board}/domain_rules/${rule.id}`).json(boardRuleJson(rule));
  });

  k.r.delete("/api/v1/admin/boards/:uri/domain_rules/:id", async (req, res) => {
    const board = k.boardParam(req);
    await k.s.defederation.deleteBoardRule(board, idParam(req, "board rule"), k.actorOf(res));
    res.status(204).end();
  });
}
