import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { formatStatus } from "../ui/statusReport";

const spec: CommandSpec = {
    name: "status",
    description: `Compares the live Deployment with the release that deployed it: the image
with its recorded digest, and every field the release declared (containers,
volumes, probes, replicas, labels…) with its stack's state, naming each
container, volume or other pod-template change nobody declared. Says when
its rollout is under way or failed. Exit codes: 0 in sync, 3 drift or a
failed rollout, 4 no live Deployment (or no cluster), 1 error.`,
};

export const command: Command<typeof import("../../pipeline/workflow/status")> = {
    spec,
    summary: "live Deployment vs the recorded digest (drift)",
    cluster: true,
    load: () => import("../../pipeline/workflow/status"),
    async run(args, ctx, { readStatus }) {
        if (!parseCommandLine(spec, args)) {
            return usageError(spec);
        }
        try {
            const status = await readStatus(ctx);
            if (status.kind === "no-cluster") {
                process.stdout.write(`no cluster to read (${status.source}): nothing is live.\n`);
                return 4;
            }
            if (status.kind === "not-deployed") {
                process.stdout.write(`no live Deployment ${status.namespace}/${status.name}; deploy one with pinned up.\n`);
                return 4;
            }
            process.stdout.write(formatStatus(status, process.stdout));
            return status.inSync ? (status.live.rollout.kind === "failed" ? 3 : 0) : 3;
        } catch (err) {
            return reportError(err, 1);
        }
    },
};
