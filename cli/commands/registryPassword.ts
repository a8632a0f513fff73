import * as fs from "fs";
import { PinnedError } from "../../core/errors";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";

const spec: CommandSpec = {
    name: "registry-password",
    options: {
        release: { type: "string", value: "R", help: "the release whose stack gets the password", required: true },
        pull: { type: "boolean", help: "the cluster's pull-only password (pinned:registryPullPassword)" },
    },
    description: `Reads a registry password from stdin and sets it as release R's secret
pinned:registryPassword (or, with --pull, pinned:registryPullPassword),
bound to the registry R's stack file names (pinned:registry): pinned sends
it to that registry only, and refuses the stack if pinned:registry is later
changed. Example: printf '%s' "$PASSWORD" | npx pinned registry-password --release R`,
};

export const command: Command<typeof import("../../pipeline/workflow/registryPassword")> = {
    spec,
    summary: "set R's registry password from stdin, bound to its registry",
    cluster: false,
    load: () => import("../../pipeline/workflow/registryPassword"),
    async run(args, ctx, { setRegistryPassword }) {
        const line = parseCommandLine(spec, args);
        if (!line || typeof line.values.release !== "string") {
            return usageError(spec);
        }
        try {
            const set = await setRegistryPassword(ctx, line.values.release, line.values.pull === true, readPassword);
            process.stdout.write(`${set.key} of release ${set.release} is set, bound to registry ${set.registry}\n`);
            return 0;
        } catch (err) {
            return reportError(err, 1);
        }
    },
};

/** The password piped in on stdin, without its final newline; refused from a terminal or when empty. */
function readPassword(release: string): string {
    if (process.stdin.isTTY) {
        // A terminal would echo the password as it is typed.
        throw new PinnedError(
            "the password is read from stdin, which is a terminal here.",
            `pipe it in: printf '%s' "$PASSWORD" | npx pinned registry-password --release ${release}.`,
        );
    }
    const password = fs.readFileSync(0, "utf8").replace(/\r?\n$/, "");
    if (password === "") {
        throw new PinnedError(
            "stdin held no password.",
            `pipe it in: printf '%s' "$PASSWORD" | npx pinned registry-password --release ${release}.`,
        );
    }
    return password;
}
