import { DomainError } from "../../domain/errors.js";
import { boardFollowJson, type FederationActions } from "../../services/federation-actions.js";
import { type CliContext, type CommandGroup, iso, stringOption, table, UsageError } from "../command.js";

/**
 * The federation's operator actions, over the command line's store. The command line has no HTTP
 * server and no delivery worker: it builds the instance as a web-only process (ATOLL_ROLE=web), so
 * the Follow or Undo it makes is only queued in the store, and the delivery worker of the running
 * server (ATOLL_ROLE all or worker, on the same store) sends it within a second. Resolving the
 * target (WebFinger, the group's actor) happens here, through the same guarded client the server uses.
 */
async function federation(ctx: CliContext): Promise<FederationActions> {
  const { config } = await ctx.services();
  if (!config.federation) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  const actions = (await ctx.instance()).services.federation;
  if (!actions) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  return actions;
}

export const boardCommands: CommandGroup = {
  name: "board",
  summary: "create, list and delete boards; follow remote boards",
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
      options: {},
      positionals: { min: 1, max: 1, names: ["uri"] },
      async run(ctx, args) {
        const uri = args.positionals[0] as string;
        if (!ctx.assumeYes) {
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
    {
      name: "follow",
      summary: "make a board follow a remote board or group (queued for the server to deliver)",
      usage: "<uri> <target> [--json]",
      details: [
        "<uri>               the local board that follows",
        "<target>            the remote group's actor URL, or its handle name@host (resolved through WebFinger)",
        "--json              print the follow as JSON",
        "The Follow is queued in the store; the running server delivers it. The follow is pending",
        "until the remote group accepts; `atoll board follows <uri>` shows its state.",
      ],
      options: { json: { type: "boolean" } },
      positionals: { min: 2, max: 2, names: ["uri", "target"] },
      async run(ctx, args) {
        const [uri, target] = args.positionals as [string, string];
        const follow = await (await federation(ctx)).followBoard(uri, target);
        if (args.values["json"]) return ctx.out(JSON.stringify(boardFollowJson(follow)));
        ctx.out(`/${follow.board}/ follows ${follow.handle ?? follow.target} (${follow.state}).`);
      },
    },
    {
      name: "unfollow",
      summary: "stop a board following a remote board or group",
      usage: "<uri> <target>",
      details: [
        "<uri>               the local board",
        "<target>            the followed group's actor URL or handle name@host",
        "The follow is removed at once; the Undo is queued for the running server to deliver.",
      ],
      options: {},
      positionals: { min: 2, max: 2, names: ["uri", "target"] },
      async run(ctx, args) {
        const [uri, target] = args.positionals as [string, string];
        const removed = await (await federation(ctx)).unfollowBoard(uri, target);
        ctx.out(`/${removed.board}/ no longer follows ${removed.handle ?? removed.target}.`);
      },
    },
    {
      name: "follows",
      summary: "list the remote boards or groups a board follows, with their state",
      usage: "<uri> [--json]",
      options: { json: { type: "boolean" } },
      positionals: { min: 1, max: 1, names: ["uri"] },
      async run(ctx, args) {
        const uri = args.positionals[0] as string;
        const list = await (await federation(ctx)).listFollows(uri);
        if (args.values["json"]) return ctx.out(JSON.stringify(list.map(boardFollowJson)));
        if (list.length === 0) {
          ctx.out(`/${uri}/ follows nothing. Follow a remote board with: atoll board follow ${uri} name@host`);
          return;
        }
        const rows = list.map((f) => [f.state, iso(f.createdAt), f.handle ?? "", f.target]);
        for (const line of table(["STATE", "SINCE", "HANDLE", "TARGET"], rows)) ctx.out(line);
      },
    },
  ],
};
