import { Env } from "../../core/env";
import { PinnedError } from "../../core/errors";
import { wholeSecondsFromEnv } from "../../core/envSeconds";
import { interruptSignal, stopEnginesAtOnce } from "./interrupt";
import { leaseLostSignal } from "../cluster/leaseLoss";

/** An engine run did not finish in its time; the message says what was stopped. */
export class DeadlineError extends PinnedError {}

export interface Deadline {
    readonly seconds: number;
    /** What runs, as in "<what> did not finish within N s". */
    readonly what: string;
    /** Where the time comes from, so the message can say how to change it. */
    readonly setting: string;
    /** Seconds between the clean stop and the stop at once. */
    readonly graceSeconds?: number;
}

/**
 * Runs an engine operation that may otherwise wait forever (a registry or
 * an API server that accepts a connection and never answers). `fn` gets an
 * AbortSignal that fires on Ctrl-C, when the release's cluster Lease is
 * lost (cluster/leaseLoss.ts), or when the deadline passes; the engine
 * receives one interrupt and stops cleanly. If it has not stopped after
 * the grace period (a request it waits on never returns), it is told to
 * stop at once. A run stopped by the deadline rejects with DeadlineError.
 */
export async function withDeadline<T>(d: Deadline, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = new AbortController();
    const outer = [interruptSignal(), leaseLostSignal()].filter((s): s is AbortSignal => s !== undefined);
    const signal = AbortSignal.any([...outer, timeout.signal]);
    let hard: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
        timeout.abort();
        hard = setTimeout(stopEnginesAtOnce, (d.graceSeconds ?? 30) * 1000);
    }, d.seconds * 1000);
    try {
        return await fn(signal);
    } catch (err) {
        if (timeout.signal.aborted) {
            throw new DeadlineError(
                `${d.what} did not finish within ${d.seconds} s and was stopped` +
                    (err instanceof PinnedError ? `: ${err.problem}` : "") +
                    ". Something it waits on (the registry, Docker or the API server) is not answering.",
                `check that part (pinned env status), then run the command again; ${d.setting} sets the time.`,
            );
        }
        throw err;
    } finally {
        clearTimeout(timer);
        clearTimeout(hard);
    }
}

/** Seconds a build and push may take, from PINNED_BUILD_TIMEOUT (60–86400; 1800 by default). */
export function buildTimeoutSeconds(env: Env): number {
    return wholeSecondsFromEnv(
        env,
        "PINNED_BUILD_TIMEOUT",
        { min: 60, max: 86400, fallback: 1800 },
        "unset it (1800 s), or set how long a build and push may take, e.g. PINNED_BUILD_TIMEOUT=3600.",
    );
}
