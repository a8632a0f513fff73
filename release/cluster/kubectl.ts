import { spawn } from "child_process";
import { PinnedError } from "../../core/errors";
import { CHILD_VARS, childEnv } from "../../core/childEnv";

/** What one kubectl run returned. */
export interface KubectlResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Seconds the API server gets to answer one request. */
export const REQUEST_TIMEOUT_S = 10;

/**
 * Runs kubectl without blocking the event loop (a lease is renewed while
 * the engine runs), with `input` on stdin. The API server gets
 * REQUEST_TIMEOUT_S per request, and kubectl itself is killed a little
 * later, so an API server that accepts and never answers cannot hang the
 * caller: it gets a PinnedError naming `what`.
 */
export function kubectl(kubeconfig: string | undefined, args: string[], what: string, input?: string): Promise<KubectlResult> {
    const argv = [...(kubeconfig ? ["--kubeconfig", kubeconfig] : []), ...args, `--request-timeout=${REQUEST_TIMEOUT_S}s`];
    return new Promise((resolve, reject) => {
        const child = spawn("kubectl", argv, { env: childEnv(CHILD_VARS.kubectl, {}, process.env), stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), (REQUEST_TIMEOUT_S + 5) * 1000);
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
                reject(
                    new PinnedError(
                        `the API server did not answer within ${REQUEST_TIMEOUT_S} s while pinned tried to ${what}.`,
                        "check the cluster (pinned env status, kubectl get --raw /readyz) and run the command again.",
                    ),
                );
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
