import { PinnedError } from "../../core/errors";
import { provingPid } from "../locks/liveness";
import { childrenOf } from "../locks/processes";
import { Steps } from "../steps";

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal went away) during a release. The engine runs in a
 * session of its own (workspace.ts), so a terminal's Ctrl-C reaches pinned
 * only; pinned passes exactly one interrupt on, which the engine treats as
 * "stop cleanly": it finishes or cancels the operations in flight and
 * writes its state. pinned then cleans up (a stack this run created is
 * removed and its file restored, the lock is released) and exits 130. A
 * second signal is passed on too, which the engine treats as "stop at once".
 */

/** The command was interrupted; what it left is in the message. Exit 130. */
export class InterruptedError extends PinnedError {}

let current: AbortController | undefined;

/** The running command's interrupt, for the engine runs it starts (undefined outside withInterrupts). */
export function interruptSignal(): AbortSignal | undefined {
    return current?.signal;
}

/** True once the running command was interrupted. */
export function interrupted(): boolean {
    return current?.signal.aborted ?? false;
}

/**
 * A second interrupt to every engine this process started: the engine
 * stops at once, which may leave pending operations in its stack.
 */
export function stopEnginesAtOnce(): void {
    for (const pid of childrenOf(process.pid).filter((p) => p !== provingPid())) {
        try {
            process.kill(pid, "SIGINT");
        } catch {
            // already gone
        }
    }
}

/** Runs `fn` with SIGINT, SIGTERM and SIGHUP handled as described above. */
export async function withInterrupts<T>(progress: Steps, fn: () => Promise<T>): Promise<T> {
    const controller = new AbortController();
    current = controller;
    let count = 0;
    const onSignal = (signal: NodeJS.Signals) => {
        count++;
        if (count === 1) {
            progress.line(
                `${signal}: stopping cleanly (the engine finishes or cancels what is in flight), then cleaning up; ` +
                    "a second Ctrl-C stops the engine at once, which may leave the stack with pending operations",
            );
            controller.abort();
            return;
        }
        progress.line(
            `${signal} again: stopping the engine at once; the next pinned command that deploys that release clears the pending operations it may leave`,
        );
        stopEnginesAtOnce();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // A closed terminal or a dropped SSH session: node would exit at once,
    // leaving the engine's operations and the lock behind.
    process.on("SIGHUP", onSignal);
    try {
        return await fn();
    } catch (err) {
        if (controller.signal.aborted && !(err instanceof InterruptedError)) {
            throw new InterruptedError(
                `interrupted: ${err instanceof PinnedError ? err.problem : String(err instanceof Error ? err.message : err)}`,
                "run pinned status to see what runs; run the command again to finish the release.",
            );
        }
        throw err;
    } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        process.removeListener("SIGHUP", onSignal);
        current = undefined;
    }
}
