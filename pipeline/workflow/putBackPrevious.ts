import { PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { DeployRequest } from "./deployRequest";
import { UpdateFailedError } from "../engine/update";
import { LiveDeployment, readLiveDeployment } from "../cluster/live";
import { restoreStackFile } from "../project/stackSetup";
import { diagnoseRollout, formatDiagnosis } from "../cluster/rollout";
import { listReleaseRecords } from "../project/stackFile";
import { Steps } from "../steps";
import { DeployTarget } from "../cluster/target";
import { Context } from "../context";

/** A release reached the cluster, its pods failed, and the previous release was put back (or could not be). */
export class RolloutFailedError extends PinnedError {}

export interface PutBackRequest {
    readonly req: DeployRequest;
    readonly failure: UpdateFailedError;
    /** What was live before the failed update, if anything. */
    readonly before: LiveDeployment | undefined;
    readonly target: DeployTarget & { kind: "cluster" };
    readonly namespace: string;
    readonly appName: string;
    readonly progress: Steps;
    /** One update of a release's stack under the locks the caller holds (deploy.ts's updateRelease). */
    readonly update: (req: DeployRequest) => Promise<string>;
}

/**
 * After a release's pods failed: says why, puts the previous release back
 * through its own stack, removes the failed release's new stack, and
 * returns the error to throw (it says what is live now).
 */
export async function putBackPrevious(ctx: Pick<Context, "projectDir" | "kubectl">, p: PutBackRequest): Promise<RolloutFailedError> {
    const { req, failure, before, target, namespace, appName, progress, update } = p;
    const release = req.release;
    const where = `${namespace}/${appName}`;
    const why = [
        `release ${release} did not become ready on ${where}; the kubelet says:`,
        ...formatDiagnosis(await diagnoseRollout(ctx, target.kubeconfig, namespace, appName, release)),
    ];
    const previous = before?.release ? listReleaseRecords(ctx.projectDir).find((r) => r.release === before.release) : undefined;
    if (!before || !previous?.imageDigest || !previous.commit || previous.imageDigest !== before.image || previous.release === release) {
        const was = before ? `${before.image} (release ${before.release ?? "unknown"})` : "nothing";
        return new RolloutFailedError(
            [...why, `Before it, ${where} ran ${was}, which no recorded release can put back, so ${release}'s failing pods stay.`].join(
                "\n",
            ),
            "fix the app (its log above) and make a new release, or roll back by hand: pinned rollback --to <release>.",
        );
    }
    progress.note(`release ${release} failed; putting back ${previous.release} (${previous.imageDigest}) through its own stack`);
    try {
        await update({
            release: parseReleaseName(previous.release),
            record: previous,
            commit: previous.commit,
            command: `put back ${previous.release} after ${release} failed`,
        });
    } catch (err) {
        const live = await readLiveDeployment(ctx, target.kubeconfig, namespace, appName);
        return new RolloutFailedError(
            [
                ...why,
                `Putting back ${previous.release} failed too: ${err instanceof PinnedError ? err.problem : String(err)}`,
                `Live now: ${live ? `${live.image} (release ${live.release ?? "unknown"})` : "no Deployment"}.`,
            ].join("\n"),
            `roll back by hand: pinned rollback --to ${previous.release}; pinned status shows what runs.`,
        );
    }
    // The failed release's new stack manages nothing that is live now.
    await removeCreatedStack(failure, ctx.projectDir);
    const live = await readLiveDeployment(ctx, target.kubeconfig, namespace, appName);
    return new RolloutFailedError(
        [
            ...why,
            `Put back: ${where} runs release ${live?.release ?? "unknown"} again (${live?.image ?? "no Deployment"}); ` +
                `release ${release} recorded no digest.`,
        ].join("\n"),
        `fix the app (its log above) and release again; pinned status shows what runs.`,
    );
}

/** Resources that touch nothing outside the state: the stack itself, components, providers. */
function pulumiOwn(r: { type: string; custom?: boolean }): boolean {
    return !r.custom || r.type.startsWith("pulumi:providers:");
}

/**
 * After a failed first update that changed nothing live: a stack this run
 * created, holding only Pulumi's own resources, is removed and its stack
 * file (in the project `projectDir`) put back as it was, so a retry starts as
 * the first try did. Says what it did, or nothing when the stack manages
 * something.
 */
export async function dropNewEmptyStack(failure: UpdateFailedError, projectDir: string): Promise<string | undefined> {
    if (!failure.created) {
        return undefined;
    }
    const state = await failure.failedStack.exportStack();
    const resources = (state.deployment?.resources ?? []) as Array<{ type: string; custom?: boolean }>;
    if (!resources.every(pulumiOwn)) {
        return undefined;
    }
    await removeCreatedStack(failure, projectDir);
    return `Its new stack ${failure.failedStack.name} held only Pulumi's own resources and was removed; its stack file is as it was.`;
}

/** Removes a stack the failed run created, and puts its stack file back as it was; nothing for a stack that existed. */
async function removeCreatedStack(failure: UpdateFailedError, projectDir: string): Promise<void> {
    if (failure.created) {
        const release = failure.failedStack.name;
        await failure.failedStack.workspace.removeStack(release, { force: true, preserveConfig: true });
        restoreStackFile(release, failure.created.fileBefore, projectDir);
    }
}
