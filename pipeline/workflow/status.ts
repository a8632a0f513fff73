import { credentialsFor } from "../../core/registry";
import { signatureOf, signingTools } from "../../core/signature";
import { LiveDeployment, readLive } from "../cluster/live";
import { Context } from "../context";
import { registryReader } from "../project/releaseRegistry";
import { readReleaseRecord, ReleaseRecord } from "../project/stackFile";
import { declaredDeployment } from "./declaredState";
import { deploymentDrift, Difference } from "./drift";

/** The live Deployment against the release that deployed it, as `pinned status` reports it. */
export type Status =
    /** No cluster to read: nothing is live. */
    | { readonly kind: "no-cluster"; readonly source: string }
    /** A cluster, but no Deployment where the releases go. */
    | { readonly kind: "not-deployed"; readonly namespace: string; readonly name: string }
    | LiveStatus;

export interface LiveStatus {
    readonly kind: "live";
    readonly namespace: string;
    readonly name: string;
    readonly live: LiveDeployment;
    /** The stack file of the release the Deployment names, if it has one. */
    readonly record?: ReleaseRecord;
    /** Whether the release key signed the live image, and how that was told. */
    readonly signature: { readonly signed: boolean; readonly said: string };
    /** The live image is not the digest its release recorded. */
    readonly imageDrifts: boolean;
    /** How the pod template differs from what the release declared, or why that cannot be told. */
    readonly template: readonly Difference[] | string;
    /** Neither the image nor any declared field differs. */
    readonly inSync: boolean;
}

/**
 * Reads the live Deployment where the releases go and compares it with
 * its release: the image with the recorded digest, every declared field
 * with the stack's state; and whether the release key signed the image.
 */
export async function readStatus(ctx: Context): Promise<Status> {
    const { target, namespace, name, deployment: live } = await readLive(ctx, { renderWithoutCluster: true });
    if (target.kind !== "cluster") {
        return { kind: "no-cluster", source: target.source };
    }
    if (!live) {
        return { kind: "not-deployed", namespace, name };
    }
    const record = live.release ? readReleaseRecord(live.release, ctx.projectDir) : undefined;
    const registry = await registryReader(ctx, live.release, record);
    const signature = registry
        ? await signatureOf(live.image, credentialsFor(registry), signingTools(ctx.env), ctx.env)
        : { signed: false, said: "not checked (no registry configured)" };
    const template = await templateDrift(ctx, live);
    const imageDrifts = record?.imageDigest !== live.image;
    const inSync = !imageDrifts && typeof template !== "string" && template.length === 0;
    return { kind: "live", namespace, name, live, record, signature, imageDrifts, template, inSync };
}

/**
 * How the live Deployment differs from what its release declared, or why
 * that cannot be told (no release annotation, no readable state): said on
 * one line, and the image comparison stands alone.
 */
async function templateDrift(ctx: Context, live: LiveDeployment): Promise<Difference[] | string> {
    if (!live.release) {
        return "the Deployment names no release (no pinned/release annotation)";
    }
    const declared = await declaredDeployment(ctx, live.release);
    return typeof declared === "string" ? declared : deploymentDrift(declared, live.object, live.release);
}
