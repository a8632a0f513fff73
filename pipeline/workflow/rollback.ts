import { PinnedError } from "../../core/errors";
import { parseReleaseName, ReleaseName } from "../../core/git/releaseName";
import { LiveDeployment, readLive, readLiveDeployment } from "../cluster/live";
import { waitForRollout } from "../cluster/rollout";
import { Context } from "../context";
import { listReleaseRecords, ReleaseRecord } from "../project/stackFile";
import { Steps } from "../steps";
import { deployRelease } from "./deploy";

/** A release rollback can deploy: it has a commit and a recorded digest. */
export interface RollbackTarget {
    readonly release: ReleaseName;
    readonly record: ReleaseRecord & { readonly commit: string; readonly imageDigest: string };
}

/**
 * Which release to roll back to. With `to`, that release; without, the
 * latest release older than the live one that recorded a digest (a
 * release that never deployed successfully is skipped, not chosen).
 */
export function chooseRollbackTarget(
    records: readonly ReleaseRecord[],
    live: Pick<LiveDeployment, "image" | "release">,
    to?: string,
): RollbackTarget {
    const known = records.map((r) => r.release).join(", ") || "none";
    let record: ReleaseRecord | undefined;
    if (to !== undefined) {
        const release = parseReleaseName(to);
        record = records.find((r) => r.release === release);
        if (!record) {
            throw new PinnedError(
                `release ${release} has no stack file (stacks/Pulumi.${release}.yaml); releases here: ${known}.`,
                "pick one of those with --to, or check out the branch that has its stack file.",
            );
        }
    } else {
        if (!live.release) {
            throw new PinnedError(
                "the live Deployment has no pinned/release annotation, so the release before it is unknown.",
                "name the release to go back to: pinned rollback --to R (pinned releases lists them).",
            );
        }
        const older = records.filter((r) => r.release < (live.release as string) && r.imageDigest);
        record = older[older.length - 1];
        if (!record) {
            throw new PinnedError(
                `no release before the live one (${live.release}) recorded a digest; releases here: ${known}.`,
                "there is nothing older to go back to; pinned rollback --to R picks one explicitly.",
            );
        }
    }
    if (!record.imageDigest) {
        throw new PinnedError(
            `release ${record.release} has no recorded digest (its stack never finished an update), ` +
                "so there is nothing to roll back to.",
            "roll back to a release that shipped (pinned releases shows digests), " +
                `or build this one with pinned up --release ${record.release}.`,
        );
    }
    if (!record.commit) {
        throw new PinnedError(
            `stacks/Pulumi.${record.release}.yaml records no pinned:commit.`,
            "restore the stack file from git (git checkout -- stacks/) and try again.",
        );
    }
    return { release: record.release as ReleaseName, record: record as RollbackTarget["record"] };
}

/** What a rollback did: nothing (the release is live already), or deployed it and checked its rollout. */
export interface Rollback {
    readonly outcome: "already-live" | "rolled-back";
    readonly release: ReleaseName;
    /** What runs now: the release's recorded digest. */
    readonly digest: string;
}

/**
 * Deploys an earlier release's recorded digest again, with no build: `to`,
 * or the release before the live one. Refuses without a cluster or a live
 * Deployment; after the update, checks the rollout from the outside.
 */
export async function rollBack(ctx: Context, to: string | undefined, progress: Steps): Promise<Rollback> {
    // Where the release rolled back to goes (its own stack file), or,
    // without --to, where the releases go (the newest stack file).
    const records = listReleaseRecords(ctx.projectDir);
    const { target, namespace, name, deployment: live } = await readLive(ctx, { record: records.find((r) => r.release === to) });
    if (target.kind !== "cluster") {
        throw new PinnedError(
            `no cluster is configured (${target.source}), so nothing is live to roll back.`,
            "start the embedded one (pinned env up) or set KUBECONFIG.",
        );
    }
    if (!live) {
        throw new PinnedError(
            `no live Deployment ${namespace}/${name}, so there is nothing to roll back.`,
            "deploy a release with pinned up first.",
        );
    }
    const { release, record } = chooseRollbackTarget(records, live, to);
    if (live.release === release && live.image === record.imageDigest) {
        return { outcome: "already-live", release, digest: record.imageDigest };
    }
    progress.note(`rolling back ${namespace}/${name}: ${live.release ?? live.image} → ${release}`);
    const digest = await deployRelease(
        ctx,
        { release, record, commit: record.commit, command: `pinned rollback --to ${release}` },
        progress,
    );
    await verifyRollout(ctx, target.kubeconfig, namespace, name, release, digest, progress);
    return { outcome: "rolled-back", release, digest };
}

/**
 * The engine waited for the Deployment to become ready; this checks it
 * from the outside, as a person would: the rollout is complete and the
 * live template runs exactly the release's digest. One read decides when
 * the rollout is already complete (rolloutState judges it as `kubectl
 * rollout status` does); otherwise `rollout status` waits for it first.
 */
async function verifyRollout(
    ctx: Pick<Context, "kubectl">,
    kubeconfig: string | undefined,
    namespace: string,
    name: string,
    release: string,
    digest: string,
    progress: Steps,
): Promise<void> {
    const step = progress.start(`checking the rollout of ${namespace}/${name}`);
    const first = await readLiveDeployment(ctx, kubeconfig, namespace, name);
    if (first?.rollout.kind === "complete" && first.image === digest && first.release === release) {
        step.done("live runs the recorded digest");
        return;
    }
    const rollout = await waitForRollout(ctx, kubeconfig, namespace, name);
    if (rollout.status !== 0) {
        step.fail();
        throw new PinnedError(
            `the rollout of ${namespace}/${name} did not complete: ${(rollout.stderr || rollout.stdout).trim()}`,
            `look at the pods (kubectl describe deployment/${name} -n ${namespace}); the stack records ${digest}.`,
        );
    }
    const live = await readLiveDeployment(ctx, kubeconfig, namespace, name);
    if (live?.image !== digest || live.release !== release) {
        step.fail();
        throw new PinnedError(
            `after the rollback ${namespace}/${name} runs ${live?.image ?? "nothing"} ` +
                `(release ${live?.release ?? "unknown"}), not ${release}'s ${digest}.`,
            "another change reached the Deployment meanwhile; run pinned status to see it.",
        );
    }
    step.done("live runs the recorded digest");
}
