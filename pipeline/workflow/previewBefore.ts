import { PinnedError } from "../../core/errors";
import { splitImageDigest } from "../../core/imageDigest";
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL } from "../../core/recipe";
import { credentialsFor, findImage } from "../../core/registry";
import { readLive } from "../cluster/live";
import { releaseRegistry } from "../project/releaseRegistry";
import { listReleaseRecords, ReleaseRecord } from "../project/stackFile";
import { PreviewImage } from "./previewImage";
import { Context } from "../context";

/** What runs now, and how the preview knows. */
export interface PreviewBefore {
    readonly digest?: string;
    readonly release?: string;
    /** The base the image before was built on (its `org.opencontainers.image.base.*` labels), when it records one. */
    readonly base?: string;
    /** "live" read from the cluster; "recorded" from the newest stack file; "none" when nothing ran yet. */
    readonly source: "live" | "recorded" | "none";
    readonly note?: string;
}

/**
 * What runs now where the release goes: the live Deployment when a cluster is reachable; without
 * one (a pull request's CI job, usually) the newest release whose stack
 * file records a digest, since that is what the last `pinned up` deployed.
 */
export async function readBefore(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir" | "kubectl">,
    release: string | undefined,
    record: ReleaseRecord | undefined,
): Promise<PreviewBefore> {
    let why: string;
    try {
        // Where this release goes (its stack file), or where the releases go.
        const live = await readLive(ctx, { record, renderWithoutCluster: true });
        if (live.target.kind === "cluster") {
            return live.deployment
                ? {
                      digest: live.deployment.image,
                      release: live.deployment.release,
                      source: "live",
                      // A rollout under way or failed is part of what runs now.
                      note:
                          live.deployment.rollout.kind === "complete"
                              ? undefined
                              : `rollout ${live.deployment.rollout.kind}: ${live.deployment.rollout.detail}`,
                  }
                : { source: "none", note: `no Deployment ${live.namespace}/${live.name} in the cluster yet` };
        }
        why = `no cluster to read (${live.target.source})`;
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        why = `the cluster could not be read: ${err.problem}`;
    }
    const recorded = listReleaseRecords(ctx.projectDir).filter((r) => r.imageDigest && r.release !== release);
    const newest = recorded[recorded.length - 1];
    return newest
        ? { digest: newest.imageDigest, release: newest.release, source: "recorded", note: why }
        : { source: "none", note: `${why}, and no release has recorded a digest yet` };
}

/**
 * The base the image before was built on, read from its labels, when the
 * image after is built here (a recorded release has no recipe to compare):
 * a re-pinned base then shows as a base change.
 */
export async function withBase(before: PreviewBefore, image: PreviewImage, registryOf: RegistryOf): Promise<PreviewBefore> {
    if (image.kind !== "build" || !before.digest) {
        return before;
    }
    try {
        const registry = await registryOf();
        if (!registry) {
            return before;
        }
        const { repository, digest } = splitImageDigest(before.digest);
        const found = await findImage(repository, digest, credentialsFor(registry));
        const name = found?.labels[BASE_NAME_LABEL];
        const baseDigest = found?.labels[BASE_DIGEST_LABEL];
        return name ? { ...before, base: baseDigest ? `${name}@${baseDigest}` : name } : before;
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        return before; // an image the registry cannot show: no base to compare, the rest of the preview stands
    }
}

export type RegistryOf = () => ReturnType<typeof releaseRegistry>;
