import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { paint, reportError } from "../ui/output";
import { formatReleases } from "../ui/releasesTable";

const spec: CommandSpec = {
    name: "releases",
    options: { json: { type: "boolean", help: "the same rows as JSON, full commit and digest" } },
    description: `Lists every release with a stack file: commit, digest, when its stack was
last deployed, when pinned verify last rebuilt it bit for bit here,
whether the release key signed its image, and which one is live.`,
};

export const command: Command<typeof import("../../pipeline/workflow/releases")> = {
    spec,
    summary: "every release: commit, digest, deployed at, verified, live",
    cluster: true,
    load: () => import("../../pipeline/workflow/releases"),
    async run(args, ctx, { listReleases }) {
        const line = parseCommandLine(spec, args);
        if (!line) {
            return usageError(spec);
        }
        try {
            const { rows, refusals } = await listReleases(ctx);
            if (line.values.json === true) {
                process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
            } else if (rows.length === 0) {
                process.stdout.write("no releases yet: tag a commit (git tag yyyy-mm-dd-NNN) and run pinned up.\n");
            } else {
                process.stdout.write(`${formatReleases(rows).replace(/\*$/gm, (m) => paint(process.stdout, "green", m))}\n`);
            }
            for (const refusal of refusals) {
                process.stderr.write(`${paint(process.stderr, "yellow", "refused:")} ${refusal.problem}\n  fix: ${refusal.fix}\n`);
            }
            return refusals.length > 0 ? 1 : 0;
        } catch (err) {
            return reportError(err, 1);
        }
    },
};
