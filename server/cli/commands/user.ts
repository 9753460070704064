import { DomainError } from "../../domain/errors.js";
import { ROLES, type Role } from "../../domain/staff.js";
import { generatePassword, isBoardRole, MIN_PASSWORD_LENGTH } from "../../services/staff.js";
import { type CliContext, type CommandGroup, iso, stringOption, table, UsageError } from "../command.js";

/** A password typed twice at the terminal. */
async function askPassword(prompt: (q: string) => Promise<string>): Promise<string> {
  const first = await prompt(`Password (at least ${MIN_PASSWORD_LENGTH} characters): `);
  const again = await prompt("Password again: ");
  if (first !== again) throw new DomainError("invalid", "The two passwords differ.");
  return first;
}

async function choosePassword(
  ctx: CliContext,
  given: string | undefined,
): Promise<{ password: string; generated: boolean }> {
  if (given !== undefined) return { password: given, generated: false };
  if (ctx.prompt) return { password: await askPassword(ctx.prompt), generated: false };
  return { password: generatePassword(), generated: true };
}

export const userCommands: CommandGroup = {
  name: "user",
  summary: "manage staff accounts",
  subcommands: [
    {
      name: "create",
      summary: "create a staff account",
      usage: "<username> --role admin|global_mod|board_owner|board_volunteer [--boards a,b] [--password P]",
      details: [
        "<username>          2 to 32 lowercase letters, digits or underscores",
        "--role R            admin: everything; global_mod: moderates every board;",
        "                    board_owner: settings and moderation of --boards; board_volunteer: moderation of --boards",
        "--boards a,b        the boards of a board owner or volunteer",
        `--password P        at least ${MIN_PASSWORD_LENGTH} characters; without it the password is asked for at a`,
        "                    terminal, or generated and printed once when there is no terminal",
      ],
      options: {
        role: { type: "string", short: "r" },
        boards: { type: "string", short: "b" },
        password: { type: "string", short: "p" },
      },
      positionals: { min: 1, max: 1, names: ["username"] },
      async run(ctx, args) {
        const role = stringOption(args, "role");
        if (role === undefined) throw new UsageError(`user create needs --role (${ROLES.join(", ")}).`, "user create");
        if (!(ROLES as readonly string[]).includes(role)) {
          throw new UsageError(`Unknown role "${role}"; choose one of ${ROLES.join(", ")}.`, "user create");
        }
        const boards = (stringOption(args, "boards") ?? "")
          .split(",")
          .map((b) => b.trim())
          .filter((b) => b.length > 0);
        if (isBoardRole(role as Role) && boards.length === 0) {
          throw new UsageError(`A ${role} needs --boards.`, "user create");
        }
        const { staff } = await ctx.services();
        const { password, generated } = await choosePassword(ctx, stringOption(args, "password"));
        const user = await staff.createUser(args.positionals[0] as string, password, role as Role, boards);
        const scope = user.boards.length > 0 ? ` of ${user.boards.map((b) => `/${b}/`).join(", ")}` : "";
        ctx.out(`Created ${user.role} ${user.username}${scope}.`);
        if (generated) ctx.out(`Password (shown only this once): ${password}`);
      },
    },
    {
      name: "list",
      summary: "list staff accounts",
      usage: "[--json]",
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const users = await staff.listUsers();
        if (args.values["json"]) {
          ctx.out(
            JSON.stringify(
              users.map((u) => ({
                username: u.username,
                role: u.role,
                boards: u.boards,
                created_at: iso(u.createdAt),
              })),
            ),
          );
          return;
        }
        if (users.length === 0) {
          ctx.out("No staff accounts. Create one with: atoll user create <username> --role admin");
          return;
        }
        const rows = users.map((u) => [u.username, u.role, u.boards.join(","), iso(u.createdAt)]);
        for (const line of table(["USERNAME", "ROLE", "BOARDS", "CREATED"], rows)) ctx.out(line);
      },
    },
    {
      name: "reset-2fa",
      summary: "turn two-factor sign-in off for an account that lost its app and recovery codes",
      usage: "<username>",
      options: {},
      positionals: { min: 1, max: 1, names: ["username"] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const username = args.positionals[0] as string;
        const was = await staff.resetTwoFactor(username);
        ctx.out(was ? `Two-factor sign-in is off for ${username}.` : `${username} had no two-factor sign-in.`);
      },
    },
    {
      name: "delete",
      summary: "delete a staff account (its sessions end at once)",
      usage: "<username>",
      options: {},
      positionals: { min: 1, max: 1, names: ["username"] },
      async run(ctx, args) {
        const { staff } = await ctx.services();
        const username = args.positionals[0] as string;
        await staff.deleteUser(username);
        ctx.out(`Deleted ${username}.`);
      },
    },
  ],
};
