import * as path from "path";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "release",
    description: `Makes a release of HEAD and deploys it: tags HEAD with the next release
name of today (yyyy-mm-dd-NNN) unless it already has a release tag, then
does what pinned up does. If the deploy fails, a tag this command made is
removed again. Run on a fresh clone after pinned env up, it releases the
example app onto the embedded cluster.`,
};

export const command: Command<typeof import("../../pipeline/workflow/releaseHead")> = {
    spec,
    summary: "tag HEAD as the next release of today and deploy it",
    cluster: true,
    load: () => import("../../pipeline/workflow/releaseHead"),
    async run(args, ctx, { releaseHead, TagRemovedError }) {
        if (!parseCommandLine(spec, args)) {
            return usageError(spec);
        }
        const progress = new Progress(process.stdout);
        try {
            const released = await releaseHead(ctx, progress);
            progress.note(`live: ${released.digest}`);
            progress.note(
                `recorded in ${path.relative(process.cwd(), released.stackFile)}: commit it with the release` +
                    (released.tagged ? `, and push the tag (git push origin ${released.release}).` : "."),
            );
            progress.line(nextSteps());
            return 0;
        } catch (err) {
            progress.close();
            if (err instanceof TagRemovedError) {
                process.stderr.write(`pinned: removed the tag ${err.tag} this run made; nothing was released.\n`);
                return reportError(err.failure, 1);
            }
            return reportError(err, 1);
        }
    },
};

/** What to try next, after a first release. */
function nextSteps(): string {
    return [
        "",
        "next:",
        "  npx pinned status                        what runs, and whether it matches its release",
        "  edit app/, commit, npx pinned preview    what releasing that commit would change",
        "  npx pinned release                       release that commit (the next release of today)",
        "  npx pinned releases                      every release; npx pinned rollback goes back one",
        '  eval "$(npx pinned env shell)"           then pulumi stack ls, kubectl get deployments',
    ].join("\n");
}
