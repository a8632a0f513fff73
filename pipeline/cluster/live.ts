import { PinnedError } from "../../core/errors";
import { isReleaseName } from "../../core/git/releaseName";
import { ANNOTATIONS } from "../../core/annotations";
import { deploymentLocation, newestRelease, ReleaseRecord } from "../project/stackFile";
import { chooseTarget, DeployTarget } from "./target";
import { Context } from "../context";

/** What the cluster says runs. */
export interface LiveDeployment {
    readonly image: string;
    /** The release that last applied it (its `pinned/release` annotation). */
    readonly release?: string;
    /** Where its latest rollout stands, from the Deployment's status. */
    readonly rollout: RolloutState;
    /** The whole object as read, compared with the declared one for drift (workflow/drift.ts). */
    readonly object?: unknown;
}

/** A rollout is complete, under way, or failed (its progress deadline passed). */
export type RolloutState =
    | { readonly kind: "complete" }
    | { readonly kind: "progressing"; readonly detail: string }
    | { readonly kind: "failed"; readonly detail: string };

/** The fields of a Deployment rolloutState reads. */
export interface DeploymentStatusView {
    metadata: { generation?: number };
    spec: { replicas?: number };
    status?: {
        observedGeneration?: number;
        replicas?: number;
        updatedReplicas?: number;
        availableReplicas?: number;
        conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    };
}

/**
 * The rollout's state as `kubectl rollout status` decides it: failed when
 * the Progressing condition says ProgressDeadlineExceeded, complete when
 * the controller has seen the latest spec and every replica is updated and
 * available, else progressing.
 */
export function rolloutState(d: DeploymentStatusView): RolloutState {
    const s = d.status ?? {};
    const progressing = s.conditions?.find((c) => c.type === "Progressing");
    if (progressing?.reason === "ProgressDeadlineExceeded") {
        return { kind: "failed", detail: progressing.message ?? "progress deadline exceeded" };
    }
    const want = d.spec.replicas ?? 1;
    if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        return { kind: "progressing", detail: "the controller has not seen the latest spec yet" };
    }
    const updated = s.updatedReplicas ?? 0;
    const available = s.availableReplicas ?? 0;
    if (updated < want || available < want || (s.replicas ?? 0) > updated) {
        return { kind: "progressing", detail: `${updated} of ${want} updated, ${available} available` };
    }
    return { kind: "complete" };
}

/** Reads the live Deployment with the context's kubectl; undefined when it does not exist. */
export async function readLiveDeployment(
    ctx: Pick<Context, "kubectl">,
    kubeconfig: string | undefined,
    namespace: string,
    name: string,
): Promise<LiveDeployment | undefined> {
    const r = await ctx.kubectl(
        kubeconfig,
        ["get", "deployment", name, "-n", namespace, "-o", "json"],
        `read deployment ${namespace}/${name}`,
    );
    if (r.status !== 0) {
        if (/NotFound/.test(r.stderr)) {
            return undefined;
        }
        throw new PinnedError(
            `kubectl could not read deployment ${namespace}/${name}: ${r.stderr.trim()}`,
            "check the cluster (pinned env status) and the kubeconfig.",
        );
    }
    const d = JSON.parse(r.stdout) as DeploymentStatusView & {
        metadata: { annotations?: Record<string, string> };
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    return {
        image: d.spec.template.spec.containers[0].image,
        release: releaseAnnotation(d.metadata.annotations?.[ANNOTATIONS.release]),
        rollout: rolloutState(d),
        object: d,
    };
}

/** The `pinned/release` annotation when it names a release; anything else (it is cluster data) is ignored. */
function releaseAnnotation(value: string | undefined): string | undefined {
    return value !== undefined && isReleaseName(value) ? value : undefined;
}

/** The live Deployment where `pinned up` would deploy, and where it lives. */
export interface LiveView {
    readonly target: DeployTarget;
    readonly namespace: string;
    readonly name: string;
    /** Undefined with no cluster, or when nothing is deployed yet. */
    readonly deployment?: LiveDeployment;
}

/**
 * Reads the live Deployment of `record`'s release, from the cluster and
 * at the place its stack file names (by default the newest release's: where
 * the releases go). `renderWithoutCluster`: for a command that has something
 * to say without a cluster (status, releases, preview), no cluster reads as
 * nothing live; else it is an error (target.ts).
 */
export async function readLive(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir" | "kubectl">,
    opts: { record?: ReleaseRecord; renderWithoutCluster?: boolean } = {},
): Promise<LiveView> {
    const record = opts.record ?? newestRelease(ctx.projectDir);
    const target = await chooseTarget(ctx, record?.release ?? "live", record?.config ?? {}, opts);
    const { namespace, name } = deploymentLocation(record, ctx.projectDir);
    const deployment = target.kind === "cluster" ? await readLiveDeployment(ctx, target.kubeconfig, namespace, name) : undefined;
    return { target, namespace, name, deployment };
}
