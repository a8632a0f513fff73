import { PinnedError } from "../../core/errors";
import { declaredDeployment } from "./declaredState";
import { deploymentDrift, Difference, PatchOperation, restorePatch } from "./drift";
import { Context } from "../context";
import { LiveDeployment } from "../cluster/live";
import { Steps } from "../steps";

/**
 * What `pinned up` does about drift before the engine runs.
 *
 * The engine's update cannot remove what someone added to the live
 * Deployment: the Kubernetes provider diffs the program's inputs against
 * the inputs it recorded, and a container, volume or field added by hand
 * (with its own field manager) is in neither, so the update reports the
 * Deployment unchanged and server-side apply leaves the addition in place
 * (measured: a sidecar added by `kubectl patch` survived `pinned up`, which
 * refreshes first, with "7 unchanged"). So pinned removes each addition
 * itself, in one JSON Patch guarded by the resourceVersion it read, and
 * then runs the engine, whose refresh records the repaired object. A field
 * the release declares and someone changed is the engine's to restore: the
 * change moved that field to another field manager, so the refreshed
 * inputs lack it and the update applies it again.
 */

/** How the live Deployment differs from what its release declared; undefined when that cannot be told. */
export async function liveDrift(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    live: LiveDeployment | undefined,
): Promise<{ release: string; differences: Difference[] } | undefined> {
    if (!live?.release || live.object === undefined) {
        return undefined;
    }
    const declared = await declaredDeployment(ctx, live.release);
    return typeof declared === "string"
        ? undefined
        : { release: live.release, differences: deploymentDrift(declared, live.object, live.release) };
}

/** The differences that are additions (present live, declared nowhere), which only pinned removes. */
export function additions(differences: readonly Difference[]): Difference[] {
    return differences.filter((d) => d.restore.some((op) => op.op === "remove"));
}

/** Removes the additions from the live Deployment, or refuses when it changed since it was read. */
export async function removeAdditions(
    ctx: Pick<Context, "kubectl">,
    req: { kubeconfig: string | undefined; namespace: string; name: string; live: LiveDeployment; added: readonly Difference[] },
    progress: Steps,
): Promise<void> {
    const where = `${req.namespace}/${req.name}`;
    const resourceVersion = (req.live.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    const patch: PatchOperation[] = [{ op: "test", path: "/metadata/resourceVersion", value: resourceVersion }, ...restorePatch(req.added)];
    const step = progress.start(`removing what was added by hand to ${where} (${req.added.map((d) => d.path).join(", ")})`);
    const r = await ctx.kubectl(
        req.kubeconfig,
        ["patch", "deployment", req.name, "-n", req.namespace, "--type=json", "-p", JSON.stringify(patch)],
        `remove what was added by hand to ${where}`,
    );
    if (r.status !== 0) {
        step.fail();
        throw new PinnedError(
            `could not remove what was added by hand to ${where}: ${r.stderr.trim()}`,
            "run the command again (the Deployment may have changed while pinned read it); pinned status names each addition.",
        );
    }
    step.done();
}
