import * as crypto from "crypto";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { startProving, stopProving } from "./liveness";
import { commandName, processesWithEnv } from "./processes";
import { Steps } from "../steps";

/**
 * Who holds a deploy target (the lock file, the cluster Lease): a random
 * token, one per pinned process. It is the lock file's holder, the Lease's
 * holderIdentity, the name of the file whose flock proves the holder alive
 * (liveness.ts), and the mark on what the holder starts.
 *
 * What a holder started must be found by the next holder. Only the engine
 * dies with pinned (setpriv --pdeathsig, engine/workspace.ts), and not at once: under
 * load a killed engine takes a while to exit, and its own children (the
 * language host, the providers, perhaps mid-request to the API server) live
 * on. While pinned holds a target, every process it starts carries
 * PINNED_HOLDER=<token> in its environment: the Automation API starts the
 * engine with pinned's environment plus the workspace's variables, and the
 * engine passes its own on to what it starts.
 */
export const HOLDER_ENV = "PINNED_HOLDER";

/**
 * One token per pinned process, not per holding: a takeover only happens
 * once the holder is gone, and then everything it started while holding
 * anything is a leftover.
 */
const TOKEN = crypto.randomBytes(8).toString("hex");

export function holderToken(): string {
    return TOKEN;
}

/** The lock files' folder in the cache folder `cache`. */
export function locksDir(cache: string): string {
    return path.join(cache, "locks");
}

/** Where holders prove they are alive: next to the lock files. */
export function holdersDir(locksDir: string): string {
    return path.join(locksDir, "holders");
}

let holdings = 0;
let proving: Promise<void> | undefined;
let inherited: string | undefined;

/**
 * Runs `fn` as a holder: proving this process alive in `dir` (liveness.ts)
 * and with every process it starts carrying its token. Holdings may nest
 * (the Lease inside the lock file) or overlap; the proof ends with the last.
 */
export async function holding<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    if (holdings++ === 0) {
        proving = startProving(dir, TOKEN);
        // Written into the process's own environment on purpose, not passed
        // to each start: every engine start builds its environment from this
        // one (the engine's own variables include PINNED_*, core/childEnv.ts),
        // and the engine hands it on to what it starts, so what a gone holder
        // left carries the mark. The context's env is this same object
        // (pipeline/context.ts), so engines started from it carry it too.
        inherited = process.env[HOLDER_ENV];
        process.env[HOLDER_ENV] = TOKEN;
    }
    try {
        await proving;
        return await fn();
    } finally {
        if (--holdings === 0) {
            if (inherited === undefined) {
                delete process.env[HOLDER_ENV];
            } else {
                process.env[HOLDER_ENV] = inherited;
            }
            stopProving();
        }
    }
}

let takenOver: number | undefined;
const goneReleases = new Set<string>();

/**
 * Notes that this process took a target over (the lock file or the
 * Lease) from a holder that is gone, whose command was `command`:
 * everything that holder's engines did was done before now, so an engine
 * lock made before now was made by an engine that no longer runs
 * (engine/backendLocks.ts), and the releases its command names are the stacks it
 * may have left locked.
 */
export function noteTakeover(command: string | undefined, at = Date.now()): void {
    takenOver = Math.max(takenOver ?? 0, at);
    for (const m of (command ?? "").matchAll(/\b\d{4}-\d{2}-\d{2}-\d{3}\b/g)) {
        goneReleases.add(m[0]);
    }
}

/** The releases the gone holders this process took over from were working on. */
export function releasesOfGoneHolders(): string[] {
    return [...goneReleases];
}

/** When this process last took a target over from a gone holder; undefined if it never did. */
export function lastTakeover(): number | undefined {
    return takenOver;
}

/** How long what a dead holder left running gets to be gone after SIGKILL. */
export const LEFTOVER_WAIT_MS = 30_000;

/**
 * Called before a dead holder's lock or Lease changes hands: kills (SIGKILL:
 * it holds nothing any more, so it must not go on applying) every process
 * carrying the holder's token, and resolves once none runs, with a line
 * saying what it killed. Processes that outlive SIGKILL for `waitMs` (stuck
 * in the kernel) are refused by PID, and nothing is taken over. `signal`
 * is only for a test to stand in for a process that outlives SIGKILL.
 */
export async function stopLeftovers(
    token: unknown,
    holder: string,
    progress: Steps | undefined,
    opts: { waitMs?: number; signal?: NodeJS.Signals } = {},
): Promise<void> {
    if (typeof token !== "string" || token === "") {
        return; // a holder that marked nothing (written by hand, or by an older pinned)
    }
    const killed = new Map<number, string>();
    const deadline = Date.now() + (opts.waitMs ?? LEFTOVER_WAIT_MS);
    for (;;) {
        const left = processesWithEnv(`${HOLDER_ENV}=${token}`);
        if (left.length === 0) {
            break;
        }
        if (Date.now() >= deadline) {
            const list = left.map((pid) => `pid ${pid} (${killed.get(pid) ?? commandName(pid)})`).join(", ");
            throw new PinnedError(
                `${holder} is gone, but processes it started still run ${Math.round((opts.waitMs ?? LEFTOVER_WAIT_MS) / 1000)} s after SIGKILL: ${list}; ` +
                    "nothing was taken over, so no second engine applies beside them.",
                `see where they are stuck (ps -o pid,stat,wchan:32,cmd -p ${left.join(",")}), and run this again once they are gone.`,
            );
        }
        for (const pid of left.filter((p) => !killed.has(p))) {
            killed.set(pid, commandName(pid));
            try {
                process.kill(pid, opts.signal ?? "SIGKILL");
            } catch {
                // gone meanwhile
            }
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    if (killed.size > 0) {
        const list = [...killed].map(([pid, name]) => `pid ${pid} (${name})`).join(", ");
        progress?.line(`killed what ${holder} left running: ${list}; all gone`);
    }
}
