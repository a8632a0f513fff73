import { LiveDeployment } from "./live";
import { KubectlResult } from "./kubectl";
import { Context } from "../context";

/**
 * Why a release's pods did not become ready, as the kubelet reported it:
 * read from the pods' container statuses and events and the failing
 * container's log, with kubectl (the same client `status` uses).
 */

/** The fields of a pod this module reads. */
export interface PodView {
    metadata: { name: string };
    status?: {
        phase?: string;
        conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
        containerStatuses?: Array<{
            name: string;
            ready: boolean;
            restartCount: number;
            state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode: number; reason?: string } };
            lastState?: { terminated?: { exitCode: number; reason?: string } };
        }>;
    };
}

/** The fields of an event this module reads. */
export interface EventView {
    reason?: string;
    message?: string;
    count?: number;
    type?: string;
}

/** One pod that is not ready, and why. */
export interface PodFailure {
    readonly pod: string;
    readonly container?: string;
    /** The kubelet's word: CrashLoopBackOff, ImagePullBackOff, ErrImagePull, Unhealthy (a probe), … */
    readonly reason: string;
    /** Exit code, restarts, probe or pull message: whatever makes the reason concrete. */
    readonly detail: string;
    /** The container started at least once, so its log may say more. */
    readonly hasLog: boolean;
    /** It ended at least once: its previous instance's log is the one that failed. */
    readonly restarted: boolean;
}

/** Reasons that say more than "not ready yet": a waiting reason other than these is a failure. */
const STARTING = new Set(["ContainerCreating", "PodInitializing"]);

/**
 * Why a pod is not ready. Waiting reasons (pull and crash back-offs, config
 * errors) come first, then probe failures from the pod's events, then a
 * container that exited; undefined for a pod that is ready.
 */
export function podFailure(pod: PodView, events: readonly EventView[]): PodFailure | undefined {
    const statuses = pod.status?.containerStatuses ?? [];
    const notReady = statuses.find((c) => !c.ready);
    if (statuses.length > 0 && !notReady) {
        return undefined;
    }
    const name = pod.metadata.name;
    const c = notReady;
    const exited = c?.lastState?.terminated ?? c?.state?.terminated;
    const restarts = c && c.restartCount > 0 ? `, restarted ${c.restartCount} time${c.restartCount === 1 ? "" : "s"}` : "";
    const exitText = exited ? `exit code ${exited.exitCode}${exited.reason ? ` (${exited.reason})` : ""}` : "";
    const base = {
        pod: name,
        container: c?.name,
        hasLog: Boolean(exited) || Boolean(c?.restartCount),
        restarted: (c?.restartCount ?? 0) > 0,
    };
    const waiting = c?.state?.waiting;
    if (waiting?.reason && !STARTING.has(waiting.reason)) {
        const detail = [exitText, waiting.message?.trim()].filter(Boolean).join("; ");
        return { ...base, reason: waiting.reason, detail: `${detail}${restarts}` || "no detail from the kubelet" };
    }
    const probe = [...events].reverse().find((e) => e.reason === "Unhealthy" || e.reason === "Failed" || e.reason === "FailedScheduling");
    if (probe) {
        const times = probe.count && probe.count > 1 ? ` (${probe.count} times)` : "";
        return { ...base, reason: probe.reason ?? "Unhealthy", detail: `${probe.message?.trim() ?? ""}${times}${restarts}` };
    }
    if (exited) {
        return { ...base, reason: exited.reason ?? "Exited", detail: `${exitText}${restarts}` };
    }
    const unscheduled = pod.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False");
    if (unscheduled) {
        return { ...base, reason: unscheduled.reason ?? "Unschedulable", detail: unscheduled.message ?? "" };
    }
    return { ...base, reason: waiting?.reason ?? pod.status?.phase ?? "NotReady", detail: "not ready before the progress deadline" };
}

/** What a failed rollout looked like from the cluster: each failing pod, with its log's last lines. */
export interface RolloutDiagnosis {
    readonly failures: ReadonlyArray<PodFailure & { readonly logTail: readonly string[] }>;
}

/** Lines of the failing container's log shown with the error. */
export const LOG_TAIL_LINES = 10;

/**
 * Reads the pods a release's rollout started (they carry its
 * `app.kubernetes.io/version` label) and says why they are not ready.
 * Never throws: a diagnosis that cannot be read is an empty one.
 */
export async function diagnoseRollout(
    ctx: Pick<Context, "kubectl">,
    kubeconfig: string | undefined,
    namespace: string,
    appName: string,
    release: string,
): Promise<RolloutDiagnosis> {
    const kc = async (args: string[], what: string): Promise<string | undefined> => {
        try {
            const r = await ctx.kubectl(kubeconfig, ["-n", namespace, ...args], what);
            return r.status === 0 ? r.stdout : undefined;
        } catch {
            return undefined;
        }
    };
    const selector = `app.kubernetes.io/name=${appName},app.kubernetes.io/version=${release}`;
    const pods = parseItems<PodView>(await kc(["get", "pods", "-l", selector, "-o", "json"], `read the pods of release ${release}`));
    const failures = [];
    for (const pod of pods) {
        const events = parseItems<EventView>(
            await kc(
                ["get", "events", "--field-selector", `involvedObject.kind=Pod,involvedObject.name=${pod.metadata.name}`, "-o", "json"],
                `read the events of pod ${pod.metadata.name}`,
            ),
        );
        const failure = podFailure(pod, events);
        if (!failure) {
            continue;
        }
        const log =
            failure.hasLog && failure.container
                ? await kc(
                      [
                          "logs",
                          pod.metadata.name,
                          "-c",
                          failure.container,
                          `--tail=${LOG_TAIL_LINES}`,
                          ...(failure.restarted ? ["--previous"] : []),
                      ],
                      `read the log of pod ${pod.metadata.name}`,
                  )
                : undefined;
        failures.push({ ...failure, logTail: (log ?? "").split("\n").filter((l) => l.trim() !== "") });
    }
    return { failures };
}

/** The diagnosis as lines for an error message. */
export function formatDiagnosis(d: RolloutDiagnosis): string[] {
    if (d.failures.length === 0) {
        return ["  (no pod of the release reported a reason)"];
    }
    return d.failures.flatMap((f) => [
        `  pod ${f.pod}${f.container ? ` (container ${f.container})` : ""}: ${f.reason}${f.detail ? ` — ${f.detail}` : ""}`,
        ...(f.logTail.length > 0 ? [`  last lines of its ${f.restarted ? "previous " : ""}log:`, ...f.logTail.map((l) => `    ${l}`)] : []),
    ]);
}

function parseItems<T>(json: string | undefined): T[] {
    if (!json) {
        return [];
    }
    try {
        return ((JSON.parse(json) as { items?: T[] }).items ?? []) as T[];
    } catch {
        return [];
    }
}

/**
 * The rollout after the engine's update, seen from outside, as `kubectl
 * rollout status` judges it (rolloutState): resolves undefined once the
 * Deployment runs `digest` with every replica updated and available, else
 * why not (the rollout failed its progress deadline, something else runs,
 * or it is still under way after `timeoutSeconds`). The engine's own wait
 * (the Kubernetes provider's) normally covers this; under load it was seen
 * to report a Deployment that a new release stack took over as rolled out
 * at once while the new pods crashed (test/e2e/realNode.test.ts), and a
 * release is only live once this says so. Polls once a second; a read
 * does not block the event loop (kubectl.ts), so the Lease is renewed
 * meanwhile.
 */
export async function confirmRollout(
    read: () => Promise<LiveDeployment | undefined>,
    digest: string,
    timeoutSeconds: number,
): Promise<string | undefined> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const live = await read();
        if (!live) {
            return "the Deployment is gone";
        }
        if (live.image !== digest) {
            return `the Deployment runs ${live.image}, not ${digest}`;
        }
        if (live.rollout.kind === "complete") {
            return undefined;
        }
        if (live.rollout.kind === "failed") {
            return `its rollout failed: ${live.rollout.detail}`;
        }
        if (Date.now() >= deadline) {
            return `its rollout is still under way after ${timeoutSeconds} s: ${live.rollout.detail}`;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/** Seconds `kubectl rollout status` may wait for a rollout that `pinned rollback` started. */
export const ROLLOUT_STATUS_WAIT_S = 300;

/**
 * `kubectl rollout status` of a Deployment: waits, as a person would, until
 * its rollout is complete (exit 0), failed or still under way after
 * ROLLOUT_STATUS_WAIT_S (exit 1, the reason on stderr).
 */
export function waitForRollout(
    ctx: Pick<Context, "kubectl">,
    kubeconfig: string | undefined,
    namespace: string,
    name: string,
): Promise<KubectlResult> {
    return ctx.kubectl(
        kubeconfig,
        ["rollout", "status", `deployment/${name}`, "-n", namespace],
        `wait for the rollout of ${namespace}/${name}`,
        { wait: ROLLOUT_STATUS_WAIT_S },
    );
}
