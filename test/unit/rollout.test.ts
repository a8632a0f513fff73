import * as assert from "assert";
import { formatDiagnosis, podFailure, PodView } from "../../pipeline/cluster/rollout";

/** A pod of one container, as `kubectl get pods -o json` shows it. */
function pod(
    container: NonNullable<PodView["status"]>["containerStatuses"] extends Array<infer C> | undefined ? Partial<C> : never,
): PodView {
    return {
        metadata: { name: "pinned-app-7d9c-abcde" },
        status: { phase: "Running", containerStatuses: [{ name: "app", ready: false, restartCount: 0, ...container }] },
    };
}

describe("rollout diagnosis", () => {
    it("a ready pod is no failure", () => {
        assert.strictEqual(podFailure(pod({ ready: true }), []), undefined);
    });

    it("an app that exits at start: CrashLoopBackOff with its exit code and restarts, and its previous log", () => {
        const f = podFailure(
            pod({
                restartCount: 3,
                state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container=app" } },
                lastState: { terminated: { exitCode: 3, reason: "Error" } },
            }),
            [],
        );
        assert.deepStrictEqual(f, {
            pod: "pinned-app-7d9c-abcde",
            container: "app",
            reason: "CrashLoopBackOff",
            detail: "exit code 3 (Error); back-off 40s restarting failed container=app, restarted 3 times",
            hasLog: true,
            restarted: true,
        });
    });

    it("an image that cannot be pulled: ImagePullBackOff with the kubelet's message, and no log", () => {
        const f = podFailure(
            pod({ state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "r/app@sha256:aa"' } } }),
            [],
        );
        assert.strictEqual(f?.reason, "ImagePullBackOff");
        assert.match(f!.detail, /Back-off pulling image/);
        assert.strictEqual(f?.hasLog, false);
    });

    it("a failing readiness probe: the last Unhealthy event, with its count", () => {
        const f = podFailure(pod({ state: {} }), [
            { reason: "Scheduled", message: "assigned" },
            { reason: "Unhealthy", message: "Readiness probe failed: HTTP probe failed with statuscode: 500", count: 7 },
        ]);
        assert.strictEqual(f?.reason, "Unhealthy");
        assert.strictEqual(f?.detail, "Readiness probe failed: HTTP probe failed with statuscode: 500 (7 times)");
    });

    it("a pod no node takes: the scheduler's reason", () => {
        const f = podFailure(
            {
                metadata: { name: "p" },
                status: {
                    phase: "Pending",
                    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available" }],
                },
            },
            [],
        );
        assert.deepStrictEqual([f?.reason, f?.detail], ["Unschedulable", "0/1 nodes are available"]);
    });

    it("still starting is not a reason: it falls through to 'not ready before the progress deadline'", () => {
        const f = podFailure(pod({ state: { waiting: { reason: "ContainerCreating" } } }), []);
        assert.deepStrictEqual([f?.reason, f?.detail], ["ContainerCreating", "not ready before the progress deadline"]);
    });

    it("formats each failure with the last lines of the log that failed", () => {
        const lines = formatDiagnosis({
            failures: [
                {
                    pod: "p",
                    container: "app",
                    reason: "CrashLoopBackOff",
                    detail: "exit code 3 (Error), restarted 2 times",
                    hasLog: true,
                    restarted: true,
                    logTail: ["Traceback (most recent call last):", "SystemExit: 3"],
                },
            ],
        });
        assert.deepStrictEqual(lines, [
            "  pod p (container app): CrashLoopBackOff — exit code 3 (Error), restarted 2 times",
            "  last lines of its previous log:",
            "    Traceback (most recent call last):",
            "    SystemExit: 3",
        ]);
        assert.deepStrictEqual(formatDiagnosis({ failures: [] }), ["  (no pod of the release reported a reason)"]);
    });
});
