import { type CommandGroup, iso, stringOption, table } from "../command.js";

export const tokenCommands: CommandGroup = {
  name: "token",
  summary: "mint, list and revoke admin API tokens",
  subcommands: [
    {
      name: "create",
      summary: "mint an admin API token (printed once, on standard output)",
      usage: "[--label L]",
      details: ["--label L           what the token is for, to recognise it in lists"],
      options: { label: { type: "string", short: "l" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const label = stringOption(args, "label") ?? "";
        const { id, token } = await staff.createToken(label);
        ctx.out(token);
        ctx.err(
          `Created API token ${id}${label ? ` (${label})` : ""}. It is shown only this once; use it as "Authorization: Bearer <token>".`,
        );
      },
    },
    {
      name: "list",
      summary: "list API tokens (their values are never stored)",
      usage: "[--json]",
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const tokens = await staff.listTokens();
        if (args.values["json"]) {
          ctx.out(JSON.stringify(tokens.map((t) => ({ id: t.id, label: t.label, created_at: iso(t.createdAt) }))));
          return;
        }
        if (tokens.length === 0) {
          ctx.out("No API tokens.");
          return;
        }
        for (const line of table(
          ["ID", "CREATED", "LABEL"],
          tokens.map((t) => [t.id, iso(t.createdAt), t.label]),
        ))
          ctx.out(line);
      },
    },
    {
      name: "delete",
      summary: "revoke an API token",
      usage: "<id>",
      options: {},
      positionals: { min: 1, max: 1, names: ["id"] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const id = args.positionals[0] as string;
        await staff.deleteToken(id);
        ctx.out(`Revoked token ${id}.`);
      },
    },
  ],
};
