import { Command, usageError } from "../command";
import { CommandSpec, parseCommandLine } from "../args";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "rollback",
    options: { to: { type: "string", value: "R", help: "the release to go back to (default: the one before the live one)" } },
    description: `Deploys an earlier release's recorded digest again, with no build: by
default the release before the live one, or R. Waits for the rollout and
checks that the live Deployment runs that digest. Refuses a release with
no recorded digest, or whose digest the registry no longer has.`,
};

/** Parses `[--to R]`; anything else is a usage error. */
export function parseRollbackArgs(args: string[]): { to?: string } | undefined {
    const line = parseCommandLine(spec, args);
    return line && (typeof line.values.to === "string" ? { to: line.values.to } : {});
}

export const command: Command<typeof import("../../pipeline/workflow/rollback")> = {
    spec,
    summary: "redeploy an earlier release's digest (no build)",
    cluster: true,
    load: () => import("../../pipeline/workflow/rollback"),
    async run(args, ctx, { rollBack }) {
        const parsed = parseRollbackArgs(args);
        if (!parsed) {
            return usageError(spec);
        }
        const progress = new Progress(process.stdout);
        try {
            const done = await rollBack(ctx, parsed.to, progress);
            progress.note(
                done.outcome === "already-live"
                    ? `release ${done.release} is already live (${done.digest}); nothing to do.`
                    : `rolled back to ${done.release}; live: ${done.digest}`,
            );
            return 0;
        } catch (err) {
            progress.close();
            return reportError(err, 1);
        }
    },
};
