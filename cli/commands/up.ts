import * as path from "path";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "up",
    options: { release: { type: "string", value: "R", help: "the release to deploy (default: the release tag at HEAD)" } },
    description: `Deploys release R with its own stack. A new release is built from its
tagged commit, pushed, and deployed by digest; the digest is then recorded
in stacks/Pulumi.R.yaml. A release whose stack already records a digest is
redeployed without building; when it is live as its last update left it
and nothing the program reads changed, the engine is not started. Another
pinned up or rollback on the same deploy target is waited for
(PINNED_LOCK_TIMEOUT seconds, default 600; 0 refuses at once).`,
};

/** Parses `[--release R]`; anything else is a usage error. */
export function parseUpArgs(args: string[]): { release?: string } | undefined {
    const line = parseCommandLine(spec, args);
    return line && (typeof line.values.release === "string" ? { release: line.values.release } : {});
}

export const command: Command<typeof import("../../pipeline/workflow/up")> = {
    spec,
    summary: "build (once) and deploy a release by digest",
    cluster: true,
    load: () => import("../../pipeline/workflow/up"),
    async run(args, ctx, { upRelease }) {
        const parsed = parseUpArgs(args);
        if (!parsed) {
            return usageError(spec);
        }
        const progress = new Progress(process.stdout);
        try {
            const deployed = await upRelease(ctx, parsed.release, progress);
            progress.note(`live: ${deployed.digest}`);
            progress.note(`recorded in ${path.relative(process.cwd(), deployed.stackFile)}: commit it with the release.`);
            return 0;
        } catch (err) {
            progress.close();
            return reportError(err, 1);
        }
    },
};
