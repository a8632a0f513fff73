import { parseReleaseName } from "../../core/git/releaseName";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "verify",
    positionals: { name: "R", min: 1, max: 1 },
    description: `Rebuilds release R from its tagged commit with the inputs its image
recorded (builder and version, build args, labels, and the base its recipe
pins) and compares the result with the digest R recorded; also checks
that the release key signed that image and that its signed provenance
names R's commit and builder. Exit 0: the same image, bit for bit, signed
as it should be; 3: different, with what differs (config fields, and
files added, removed or changed per layer, with sizes), or the signature
or provenance does not hold; 1: it cannot be
rebuilt here, and the message names the missing input (a tag that moved,
a base the registry lost, another builder version). The rebuild is pushed
as R's repository:verify-R. A match is noted in .pinned/verified/ and
shown by pinned releases.`,
};

export const command: Command<[typeof import("../../pipeline/workflow/verify"), typeof import("../../core/imageDiff")]> = {
    spec,
    summary: "rebuild release R and compare it with its recorded digest",
    cluster: false,
    load: () => Promise.all([import("../../pipeline/workflow/verify"), import("../../core/imageDiff")]),
    async run(args, ctx, [{ verifyRelease }, { formatImageDifference }]) {
        const line = parseCommandLine(spec, args);
        if (!line) {
            return usageError(spec);
        }
        const progress = new Progress(process.stdout);
        try {
            const v = await verifyRelease(ctx, parseReleaseName(line.positionals[0]), progress);
            if (v.attestationProblem) {
                progress.note(`not verified: ${v.release}'s image ${v.recorded}: ${v.attestationProblem}`);
            }
            if (!v.difference) {
                progress.note(
                    `${v.attestationProblem ? "rebuilt" : "verified"}: ${v.release} rebuilds bit for bit from ${v.commit.slice(0, 12)} with ${v.builder}: ${v.recorded}`,
                );
                return v.attestationProblem ? 3 : 0;
            }
            progress.note(`different: ${v.release} recorded ${v.recorded}; the rebuild from ${v.commit.slice(0, 12)} is ${v.rebuilt}`);
            progress.line(formatImageDifference(v.difference, { maxFilesPerLayer: 20 }).join("\n"));
            return 3;
        } catch (err) {
            progress.close();
            return reportError(err, 1);
        }
    },
};
