import { spawn } from "child_process";
import { PinnedError } from "../../core/errors";
import { CHILD_VARS, childEnv } from "../../core/childEnv";
import { Env } from "../../core/env";

/** What one kubectl run returned. */
export interface KubectlResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Seconds the API server gets to answer one request. */
export const REQUEST_TIMEOUT_S = 10;

/** Seconds kubectl gets past its own limits before it is killed: enough to print what it saw. */
const KILL_GRACE_S = 5;

/** The timeout policy: each request's time, and how long past it (and past `wait`) kubectl is killed. */
export interface KubectlTimeouts {
    readonly requestSeconds: number;
    readonly graceSeconds: number;
}

export interface KubectlOptions {
    /** Written to kubectl's stdin (a manifest for `apply -f -`, a Lease for `replace -f -`). */
    readonly input?: string;
    /**
     * Seconds a command that waits by design (`rollout status`) may wait:
     * kubectl gets them as `--timeout`, and is killed that much later.
     * Each of its requests still gets the request timeout.
     */
    readonly wait?: number;
}

/** Runs kubectl with the caller's kubeconfig (none: kubectl's own default); `what` names the run in errors. */
export type Kubectl = (kubeconfig: string | undefined, args: string[], what: string, opts?: KubectlOptions) => Promise<KubectlResult>;

/**
 * The one way pinned runs kubectl: REQUEST_TIMEOUT_S per request, killed
 * KILL_GRACE_S after that, with what kubectl reads of `env` (the context's
 * environment: createContext makes the context's kubectl with this).
 */
export function kubectlFor(env: Env): Kubectl {
    return kubectlWith({ requestSeconds: REQUEST_TIMEOUT_S, graceSeconds: KILL_GRACE_S }, env);
}

/**
 * kubectl under the given timeouts. It never blocks the event loop (a
 * Lease is renewed while the engine runs). The API server gets
 * `requestSeconds` per request, and kubectl itself is killed a little
 * after that (and after `wait`), so an API server that accepts and never
 * answers cannot hang the caller: it gets a PinnedError naming `what`.
 * kubectl gets only the variables it reads of `env` (core/childEnv.ts),
 * its PATH included; its exit status is the caller's to judge.
 */
export function kubectlWith(timeouts: KubectlTimeouts, env: Env): Kubectl {
    return (kubeconfig, args, what, opts = {}) => {
        const argv = [
            ...(kubeconfig ? ["--kubeconfig", kubeconfig] : []),
            ...args,
            `--request-timeout=${timeouts.requestSeconds}s`,
            ...(opts.wait === undefined ? [] : [`--timeout=${opts.wait}s`]),
        ];
        const answerWithin = (opts.wait ?? 0) + timeouts.requestSeconds;
        return run(argv, env, what, opts.input, answerWithin, answerWithin + timeouts.graceSeconds);
    };
}

function run(
    argv: string[],
    env: Env,
    what: string,
    input: string | undefined,
    answerWithin: number,
    killAfter: number,
): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
        const child = spawn("kubectl", argv, { env: childEnv(CHILD_VARS.kubectl, {}, env), stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const silent = () =>
            new PinnedError(
                `the API server did not answer within ${answerWithin} s while pinned tried to ${what}.`,
                "check the cluster (pinned env status, kubectl get --raw /readyz) and run the command again.",
            );
        // Settled at the kill, not when the pipes close: whatever kubectl
        // started (a credential plugin) may hold them open longer.
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(silent());
        }, killAfter * 1000);
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            reject(
                err.code === "ENOENT"
                    ? new PinnedError(`kubectl is not on PATH, so pinned cannot ${what}.`, "install kubectl and try again.")
                    : err,
            );
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (signal === "SIGKILL" || /Client.Timeout|context deadline exceeded|i\/o timeout/.test(stderr)) {
                reject(silent());
                return;
            }
            resolve({ status: code ?? 1, stdout, stderr });
        });
        // A kubectl that reads no input (get, delete without -f) may exit
        // before the write lands: the EPIPE then says nothing its exit
        // status does not, and must not crash the process.
        child.stdin.on("error", () => undefined);
        child.stdin.end(input ?? "");
    });
}
