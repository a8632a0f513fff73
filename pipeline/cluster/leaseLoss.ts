import { PinnedError } from "../../core/errors";
import { stopEnginesAtOnce } from "../engine/interrupt";

/**
 * A release that lost its cluster Lease while it ran: another release may
 * deploy now, so this one's engine was stopped. Exit 1.
 */
export class LeaseLost extends PinnedError {}

let current: AbortController | undefined;

/** Fires when the running command's Lease is lost: engine runs (engine/deadline.ts) stop on it. */
export function leaseLostSignal(): AbortSignal | undefined {
    return current?.signal;
}

export interface Losing {
    readonly signal: AbortSignal;
    /** The Lease is lost, for `why`: the engine gets one interrupt now and is stopped at once a little later. */
    lose(why: string): void;
    /** Runs `fn` with the loss wired to its engine runs; a loss makes it fail with LeaseLost, whatever `fn` did. */
    around<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * The loss of the Lease `where`. The engine stops cleanly on the first
 * interrupt (it finishes or cancels the operations in flight); if it has
 * not stopped after an eighth of the Lease's duration, it is stopped at
 * once, so it is gone before anyone may take the Lease over (lease.ts
 * gives up the Lease at three quarters of its duration).
 */
export function losingLease(where: string, durationSeconds: number): Losing {
    const controller = new AbortController();
    let why = "";
    let hard: NodeJS.Timeout | undefined;
    return {
        signal: controller.signal,
        lose(reason: string) {
            if (controller.signal.aborted) {
                return;
            }
            why = reason;
            controller.abort();
            hard = setTimeout(stopEnginesAtOnce, (durationSeconds * 1000) / 8);
            hard.unref();
        },
        async around<T>(fn: () => Promise<T>): Promise<T> {
            current = controller;
            let result: T;
            try {
                result = await fn();
            } catch (err) {
                if (controller.signal.aborted) {
                    throw lostError(where, why, err);
                }
                throw err;
            } finally {
                current = undefined;
                clearTimeout(hard);
            }
            if (controller.signal.aborted) {
                throw lostError(where, why, undefined);
            }
            return result;
        },
    };
}

function lostError(where: string, why: string, err: unknown): LeaseLost {
    const after = err instanceof PinnedError ? ` What the engine said: ${err.problem}` : "";
    return new LeaseLost(
        `this release lost the cluster ${where} while it ran: ${why}. Another release may deploy now, so this one's engine was stopped; ` +
            `what is live may be either release.${after}`,
        "see what runs (pinned status), let the other release finish, then run this one again.",
    );
}
