import { Env } from "../../core/env";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { holderToken, holding, holdersDir, noteTakeover, stopLeftovers } from "./holding";
import { forgetGone, liveness } from "./liveness";
import { Steps } from "../steps";
import { HolderWait } from "./holderWait";
import { DeployTarget } from "../cluster/target";

/**
 * Who holds the deploy target, written into the lock file for the next one
 * to read. The token is the holder (holding.ts); the command, PID and host
 * only say, for people, who it is.
 */
export interface LockHolder {
    readonly command: string;
    readonly pid: number;
    readonly host: string;
    readonly since: string;
    readonly token: string;
}

export interface LockOptions {
    /** How long to wait for another holder. 0 refuses at once. */
    readonly waitMs: number;
    readonly pollMs?: number;
    readonly progress?: Steps;
}

/** Seconds to wait from PINNED_LOCK_TIMEOUT; 10 minutes, a slow build, by default. */
export function lockWaitMs(env: Env): number {
    const raw = env.PINNED_LOCK_TIMEOUT;
    if (raw === undefined || raw === "") {
        return 600_000;
    }
    if (!/^\d+$/.test(raw)) {
        throw new PinnedError(
            `PINNED_LOCK_TIMEOUT="${raw}" is not a number of seconds.`,
            "set it to a whole number of seconds, e.g. PINNED_LOCK_TIMEOUT=0 to refuse at once.",
        );
    }
    return Number(raw) * 1000;
}

/**
 * One lock file per deploy target: what the release changes (a Deployment
 * in a cluster, or a directory of rendered manifests). Two releases of
 * different stacks patch the same Deployment, and the engine's own lock is
 * per stack, so this lock is what keeps them apart. `dir`: the lock files'
 * folder (locksDir).
 */
export function lockPath(target: string, dir: string): string {
    const readable = target.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-60);
    const hash = crypto.createHash("sha256").update(target).digest("hex").slice(0, 12);
    return path.join(dir, `${readable}-${hash}.lock`);
}

/** The lock of where a release goes: a Deployment in a cluster, or a render directory. */
export function targetLockPath(target: DeployTarget, deployment: { namespace: string; name: string }, dir: string): string {
    const key =
        target.kind === "cluster"
            ? `${target.kubeconfig ?? "kubeconfig"}#${deployment.namespace}/${deployment.name}`
            : path.resolve(target.dir);
    return lockPath(key, dir);
}

function readHolder(file: string): LockHolder | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
    } catch {
        return undefined; // gone, or not a lock pinned wrote
    }
}

/**
 * Creates `file` holding `content`, or fails with EEXIST: the content is
 * written to a file of our own first and then hard-linked into place, so a
 * lock file is never seen empty or half-written, even after a crash.
 */
function createWith(file: string, content: string): void {
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, content, { mode: 0o600 });
    try {
        fs.linkSync(tmp, file);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

/** A lock file nobody could have written (empty, or not JSON) and this old is stale: a crash, or another tool. */
const UNREADABLE_STALE_MS = 10_000;

/**
 * Removes a stale lock, with takeovers serialized by a second lock file:
 * two waiters that both saw the same dead holder must not both remove a
 * lock, or the second would remove the first one's new lock. Inside, the
 * lock is removed only if it is still the very one found stale.
 */
function takeOver(file: string, stale: { token?: string; ino: number }): boolean {
    const guard = `${file}.takeover`;
    try {
        createWith(guard, String(process.pid));
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
            throw err;
        }
        // Another waiter is taking over; a guard left by a crash expires.
        const age = Date.now() - (fs.statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > UNREADABLE_STALE_MS) {
            fs.rmSync(guard, { force: true });
        }
        return false;
    }
    try {
        const now = fs.statSync(file, { throwIfNoEntry: false });
        if (now && now.ino === stale.ino && readHolder(file)?.token === stale.token) {
            fs.rmSync(file, { force: true });
            return true;
        }
        return false;
    } finally {
        fs.rmSync(guard, { force: true });
    }
}

export function describeHolder(h: LockHolder): string {
    return `"${h.command}" (pid ${h.pid} on ${h.host}, since ${h.since})`;
}

/**
 * Runs `fn` holding the deploy target's lock. Another holder is waited for
 * up to `waitMs`, then refused with who holds it. A holder is gone when
 * the kernel says so (its liveness file's flock is free, liveness.ts), or
 * when it left no liveness file at all (every pinned proves itself alive
 * before it writes a lock): its lock is taken over once nothing it
 * started still runs (holding.ts).
 */
export async function withTargetLock<T>(file: string, command: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
    const holders = holdersDir(path.dirname(file));
    const me: LockHolder = {
        command,
        pid: process.pid,
        host: os.hostname(),
        since: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        token: holderToken(),
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return holding(holders, async () => {
        const wait = new HolderWait({ what: "the lock", waitMs: opts.waitMs, pollMs: opts.pollMs ?? 500, progress: opts.progress });
        for (;;) {
            try {
                createWith(file, JSON.stringify(me));
                break;
            } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                    throw err;
                }
            }
            const stat = fs.statSync(file, { throwIfNoEntry: false });
            const holder = readHolder(file);
            const deadHolder = holder !== undefined && liveness(holders, holder.token) !== "alive";
            const unreadable = stat !== undefined && holder === undefined && Date.now() - stat.mtimeMs > UNREADABLE_STALE_MS;
            if (stat && (deadHolder || unreadable)) {
                if (deadHolder) {
                    // Its engine may still be exiting and the engine's children
                    // live on: they must be gone before the lock changes hands.
                    // Done outside takeOver's guard: every waiter may do it (it
                    // kills the same processes), and a slow exit must not
                    // outlast the guard's expiry.
                    await stopLeftovers(holder.token, describeHolder(holder), opts.progress).catch((err: unknown) => {
                        wait.fail();
                        throw err;
                    });
                }
                if (takeOver(file, { token: holder?.token, ino: stat.ino })) {
                    if (deadHolder) {
                        noteTakeover(holder.command);
                    }
                    opts.progress?.line(
                        `taking over a stale lock: ${holder ? `${describeHolder(holder)} is no longer running` : `${file} was left unreadable`}`,
                    );
                    continue;
                }
            }
            await wait.round(
                {
                    problem: `another release is in progress on this deploy target: ${holder ? describeHolder(holder) : "unknown holder"}.`,
                    fix: `let it finish, then run this again (PINNED_LOCK_TIMEOUT=<seconds> waits longer). Lock file: ${file}`,
                },
                holder && `waiting for ${describeHolder(holder)} to finish`,
            );
        }
        wait.done();
        const release = () => {
            if (readHolder(file)?.token === me.token) {
                fs.rmSync(file, { force: true });
            }
        };
        process.once("exit", release);
        try {
            return await fn();
        } finally {
            release();
            process.removeListener("exit", release);
            sweepGone(holders);
        }
    });
}

/** Liveness files of holders that are gone, once nothing can still need them: an hour after their last change. */
function sweepGone(holders: string): void {
    const hourAgo = Date.now() - 3_600_000;
    for (const token of fs.readdirSync(holders)) {
        if ((fs.statSync(path.join(holders, token), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < hourAgo) {
            forgetGone(holders, token);
        }
    }
}
