import { credentialsFor } from "../../core/registry";
import { LiveDeployment, readLive } from "../../release/cluster/live";
import { declaredDeployment } from "../../release/workflow/declaredState";
import { deploymentDrift, Difference } from "../../release/workflow/drift";
import { releaseRegistry } from "../../release/project/releaseRegistry";
import { signatureOf, signingTools } from "../../core/signature";
import { paint, reportError } from "../ui/output";
import { readReleaseRecord } from "../../release/project/stackFile";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { PROJECT_DIR } from "../../release/project/projectDir";

export const STATUS_COMMAND: CommandSpec = {
    name: "status",
    description: `Compares the live Deployment with the release that deployed it: the image
with its recorded digest, and every field the release declared (containers,
volumes, probes, replicas, labels…) with its stack's state, naming each
container, volume or other pod-template change nobody declared. Says when
its rollout is under way or failed. Exit codes: 0 in sync, 3 drift or a
failed rollout, 4 no live Deployment (or no cluster), 1 error.`,
};
export const STATUS_USAGE = usageOf(STATUS_COMMAND);

export async function statusCommand(args: string[]): Promise<number> {
    if (!parseCommandLine(STATUS_COMMAND, args)) {
        process.stderr.write(`${STATUS_USAGE}\n`);
        return 2;
    }
    try {
        const { target, namespace, name, deployment: live } = await readLive({ renderWithoutCluster: true });
        if (target.kind !== "cluster") {
            process.stdout.write(`no cluster to read (${target.source}): nothing is live.\n`);
            return 4;
        }
        if (!live) {
            process.stdout.write(`no live Deployment ${namespace}/${name}; deploy one with pinned up.\n`);
            return 4;
        }
        const record = live.release ? readReleaseRecord(live.release, PROJECT_DIR) : undefined;
        const rollout =
            live.rollout.kind === "complete"
                ? ""
                : `  ${paint(process.stdout, live.rollout.kind === "failed" ? "red" : "yellow", `rollout ${live.rollout.kind}:`)} ` +
                  `${live.rollout.detail}\n`;
        const registry = await releaseRegistry({ env: process.env }, live.release, record);
        const signature = registry
            ? await signatureOf(live.image, credentialsFor(registry), signingTools(process.env), process.env)
            : { signed: false, said: "not checked (no registry configured)" };
        const signed = `  ${paint(process.stdout, signature.signed ? "green" : "yellow", signature.said)}\n`;
        const template = await templateDrift(live);
        const imageDrifts = record?.imageDigest !== live.image;
        if (!imageDrifts && typeof template !== "string" && template.length === 0) {
            process.stdout.write(
                `${paint(process.stdout, "green", "in sync:")} ${namespace}/${name} runs release ${live.release} (${live.image})\n${signed}${rollout}`,
            );
            return live.rollout.kind === "failed" ? 3 : 0;
        }
        const release = live.release ?? "<release>";
        const expected = record?.imageDigest ?? "(no recorded digest)";
        const lines =
            typeof template === "string"
                ? [`pod template not compared: ${template}`]
                : template
                      // The image line above says it already.
                      .filter((d) => !(imageDrifts && /^containers\[[^\]]+\]\.image$/.test(d.path)))
                      .map((d) => `${d.path}: ${d.says}`);
        process.stdout.write(
            (imageDrifts
                ? `${paint(process.stdout, "red", "drift:")} ${namespace}/${name} runs ${live.image}\n` +
                  `  release ${live.release ?? "(unknown)"} recorded ${expected}\n`
                : `${paint(process.stdout, "red", "drift:")} ${namespace}/${name} differs from release ${release} (${live.image})\n`) +
                lines.map((l) => `  ${l}\n`).join("") +
                signed +
                rollout +
                (imageDrifts
                    ? `  fix: pinned up --release ${release} redeploys the recorded digest and restores what the release declares\n`
                    : `  fix: pinned up --release ${release} restores what the release declares (and removes what was added by hand); ` +
                      `or declare the change in the program and release it\n`),
        );
        return 3;
    } catch (err) {
        return reportError(err, 1);
    }
}

/**
 * How the live Deployment differs from what its release declared, or why
 * that cannot be told (no release annotation, no readable state): said on
 * one line, and the image comparison stands alone.
 */
async function templateDrift(live: LiveDeployment): Promise<Difference[] | string> {
    if (!live.release) {
        return "the Deployment names no release (no pinned/release annotation)";
    }
    const declared = await declaredDeployment(live.release);
    return typeof declared === "string" ? declared : deploymentDrift(declared, live.object, live.release);
}
