import { credentialsFor } from "../../core/registry";
import { readLive } from "../../release/live";
import { releaseRegistry } from "../../release/releaseRegistry";
import { signatureOf } from "../../core/signature";
import { paint, reportError } from "../ui/output";
import { readReleaseRecord } from "../../release/stackFile";
import { CommandSpec, parseCommandLine, usageOf } from "../args";

export const STATUS_COMMAND: CommandSpec = {
    name: "status",
    description: `Compares the image the live Deployment runs with the digest recorded for
the release that deployed it, and says when its rollout is under way or
failed. Exit codes: 0 in sync, 3 drift or a failed rollout, 4 no live
Deployment (or no cluster), 1 error.`,
};
export const STATUS_USAGE = usageOf(STATUS_COMMAND);

export async function statusCommand(args: string[]): Promise<number> {
    if (!parseCommandLine(STATUS_COMMAND, args)) {
        process.stderr.write(`${STATUS_USAGE}\n`);
        return 2;
    }
    try {
        const { target, namespace, name, deployment: live } = readLive({ renderWithoutCluster: true });
        if (target.kind !== "cluster") {
            process.stdout.write(`no cluster to read (${target.source}): nothing is live.\n`);
            return 4;
        }
        if (!live) {
            process.stdout.write(`no live Deployment ${namespace}/${name}; deploy one with pinned up.\n`);
            return 4;
        }
        const record = live.release ? readReleaseRecord(live.release) : undefined;
        const rollout =
            live.rollout.kind === "complete"
                ? ""
                : `  ${paint(process.stdout, live.rollout.kind === "failed" ? "red" : "yellow", `rollout ${live.rollout.kind}:`)} ` +
                  `${live.rollout.detail}\n`;
        const registry = await releaseRegistry(live.release, record);
        const signature = registry
            ? await signatureOf(live.image, credentialsFor(registry))
            : { signed: false, said: "not checked (no registry configured)" };
        const signed = `  ${paint(process.stdout, signature.signed ? "green" : "yellow", signature.said)}\n`;
        if (record?.imageDigest === live.image) {
            process.stdout.write(
                `${paint(process.stdout, "green", "in sync:")} ${namespace}/${name} runs release ${live.release} (${live.image})\n${signed}${rollout}`,
            );
            return live.rollout.kind === "failed" ? 3 : 0;
        }
        const expected = record?.imageDigest ?? "(no recorded digest)";
        process.stdout.write(
            `${paint(process.stdout, "red", "drift:")} ${namespace}/${name} runs ${live.image}\n` +
                `  release ${live.release ?? "(unknown)"} recorded ${expected}\n` +
                signed +
                rollout +
                `  fix: pinned up --release ${live.release ?? "<release>"} redeploys the recorded digest\n`,
        );
        return 3;
    } catch (err) {
        return reportError(err, 1);
    }
}
