import * as path from "path";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "base",
    options: { commit: { type: "boolean", help: "commit the re-pinned recipe (only that file)" } },
    positionals: { name: "ARG", min: 1, max: 2, shown: "update [DOCKERFILE]" },
    description: `base update re-pins the recipe's base images to what the registry serves
under their tags now: each FROM line in the release registry (the embedded
one, or PINNED_REGISTRY) gets the tag's current digest, and a "# base:"
comment above it says what that base was made from (Debian version and
package list, when the base records them). DOCKERFILE defaults to the app's
(pinned:app, app/Dockerfile). Nothing to re-pin is not an error (exit 0).
With --commit the recipe is committed alone; without it the change is left
for you to review and commit. Run it when a release says the registry does
not hold the pinned base (Debian's archive moved since it was pinned).`,
};

export const command: Command<
    [
        typeof import("../../pipeline/workflow/baseUpdate"),
        typeof import("../../pipeline/project/releaseRecipe"),
        typeof import("../../core/baseDrift"),
    ]
> = {
    spec,
    summary: "re-pin the recipe's base images to the registry's current digests",
    cluster: false,
    load: () =>
        Promise.all([
            import("../../pipeline/workflow/baseUpdate"),
            import("../../pipeline/project/releaseRecipe"),
            import("../../core/baseDrift"),
        ]),
    async run(args, ctx, [{ updateBases }, { releaseRecipePaths }, { short }]) {
        const line = parseCommandLine(spec, args);
        if (!line || line.positionals[0] !== "update") {
            return usageError(spec);
        }
        const dockerfile = line.positionals[1] ? path.resolve(line.positionals[1]) : releaseRecipePaths(ctx, undefined).dockerfile;
        const shown = path.relative(process.cwd(), dockerfile);
        const progress = new Progress(process.stdout);
        try {
            // Its messages show the recipe relative to where the command runs, as this one does.
            const result = await updateBases(ctx, { dockerfile, projectDir: process.cwd(), commit: line.values.commit === true }, progress);
            if (result.moves.length === 0) {
                progress.note(`${shown}: every base is pinned to what its tag serves now; nothing to change.`);
                return 0;
            }
            for (const m of result.moves) {
                progress.note(
                    `${shown}:${m.line} ${m.image} ${m.from ? short(m.from) : "(no digest)"} → ${short(m.to)}${m.state ? ` (${m.state})` : ""}`,
                );
            }
            if (result.commit) {
                progress.note(
                    `committed ${result.commit.slice(0, 12)}${result.identity ? ` as ${result.identity} (git has no user.name/user.email here)` : ""}; ` +
                        "a release of HEAD builds on the re-pinned base.",
                );
            } else {
                progress.note(`rewrote ${shown}: review it (git diff ${shown}) and commit it; a release needs a clean tree.`);
            }
            return 0;
        } catch (err) {
            progress.close();
            return reportError(err, 1);
        }
    },
};
