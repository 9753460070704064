import { type CommandGroup, iso, stringOption, table, UsageError } from "../command.js";

export const boardCommands: CommandGroup = {
  name: "board",
  summary: "create, list and delete boards",
  subcommands: [
    {
      name: "create",
      summary: "create a board",
      usage: "<uri> --title T [--description D] [--sfw|--nsfw]",
      details: [
        "<uri>               1 to 30 lowercase letters or digits; the board lives at /<uri>/",
        "--title T           the board's title",
        "--description D     a line about the board",
        "--sfw | --nsfw      rating shown in listings (default: --sfw)",
      ],
      options: {
        title: { type: "string", short: "t" },
        description: { type: "string", short: "d" },
        sfw: { type: "boolean" },
        nsfw: { type: "boolean" },
      },
      positionals: { min: 1, max: 1, names: ["uri"] },
      async run(ctx, args) {
        const title = stringOption(args, "title");
        if (title === undefined) throw new UsageError("board create needs --title.", "board create");
        if (args.values["sfw"] && args.values["nsfw"])
          throw new UsageError("Give --sfw or --nsfw, not both.", "board create");
        const { boards } = await ctx.services();
        const board = await boards.create({
          uri: args.positionals[0],
          title,
          description: stringOption(args, "description") ?? "",
          settings: { sfw: args.values["nsfw"] !== true },
        });
        ctx.out(`Created /${board.uri}/ "${board.title}" (${board.settings.sfw ? "SFW" : "NSFW"}).`);
      },
    },
    {
      name: "list",
      summary: "list the boards",
      usage: "[--json]",
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const { boards } = await ctx.services();
        const list = await boards.list();
        if (args.values["json"]) {
          ctx.out(
            JSON.stringify(
              list.map((b) => ({ uri: b.uri, title: b.title, description: b.description, sfw: b.settings.sfw })),
            ),
          );
          return;
        }
        if (list.length === 0) {
          ctx.out("No boards yet. Create one with: atoll board create <uri> --title T");
          return;
        }
        const rows = list.map((b) => [`/${b.uri}/`, b.settings.sfw ? "SFW" : "NSFW", iso(b.createdAt), b.title]);
        for (const line of table(["BOARD", "RATING", "CREATED", "TITLE"], rows)) ctx.out(line);
      },
    },
    {
      name: "delete",
      summary: "delete a board with all its threads, posts and files",
      usage: "<uri> --yes",
      details: ["--yes               confirm: the board's posts and files are gone for good"],
      options: { yes: { type: "boolean", short: "y" } },
      positionals: { min: 1, max: 1, names: ["uri"] },
      async run(ctx, args) {
        const uri = args.positionals[0] as string;
        if (args.values["yes"] !== true) {
          throw new UsageError(
            `Deleting /${uri}/ removes all its posts and files; add --yes to confirm.`,
            "board delete",
          );
        }
        const { boards } = await ctx.services();
        await boards.delete(uri);
        ctx.out(`Deleted /${uri}/.`);
      },
    },
  ],
};
