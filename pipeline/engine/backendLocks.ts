import * as fs from "fs";
import * as path from "path";
import { fileBackendDir } from "./backendFiles";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { existingStack } from "./workspace";
import { lastTakeover, releasesOfGoneHolders } from "../locks/holding";
import { Steps } from "../steps";

/**
 * The engine locks a stack in its backend: an object under
 * .pulumi/locks/<org>/<project>/<stack>/<id>.json holding user, host, PID
 * and time. An engine killed with SIGKILL (with the pinned that started
 * it: workspace.ts) leaves that lock; it never expires, every later update of
 * the stack is refused, and `pulumi cancel` removes it without stopping an
 * update that may still run (two engines then apply at once).
 *
 * So pinned removes an engine lock only when it knows the engine that made
 * it is gone: this process took the deploy target over from a holder that
 * is gone (locks/holding.ts: its flock was free, or its Lease went unrenewed for
 * a whole duration, after which its engine has stopped), the lock was made
 * before that, and this process holds the target, so no other pinned runs
 * an engine on it now. A host and a PID say nothing across PID namespaces
 * and are not consulted. Any other lock is left to the engine, which then
 * refuses with its own message naming it, and pinned says what to check.
 */

/** True when a lock made at `madeAt` (ms) is known to be left by an engine that is gone. */
export function madeByGoneEngine(madeAt: number, takenOver = lastTakeover()): boolean {
    // The engine writes whole seconds: a lock of second S was made before S + 1.
    return takenOver !== undefined && !Number.isNaN(madeAt) && madeAt + 1000 <= takenOver;
}

/** A file:// backend's locks of `stack`, removed before the update when made by a gone engine, each with a line. */
export function removeGoneEngineLocks(backendUrl: string, stack: string, progress: Steps): void {
    const dir = fileBackendDir(backendUrl);
    if (dir === undefined) {
        return; // other backends: the engine's refusal tells (runUpdate), or clearGoneEngineLocks cancels
    }
    const root = path.join(dir, ".pulumi", "locks");
    for (const dir of stackLockDirs(root, stack)) {
        for (const entry of fs.readdirSync(dir)) {
            const file = path.join(dir, entry);
            const lock = readLock(file);
            if (lock && madeByGoneEngine(Date.parse(lock.timestamp))) {
                fs.rmSync(file, { force: true });
                progress.line(
                    `removed the engine's lock on stack ${stack}, left at ${lock.timestamp} by an engine of the holder this release took over from`,
                );
            }
        }
    }
}

/**
 * After this run's own engine died by a signal (SIGKILL, the OOM killer)
 * during its update of `stack`: the lock it left, made since `since` (ms),
 * removed with a line. Safe because this process still holds the target
 * (no other pinned runs an engine on it), its engine is gone, and the
 * engine's lock is exclusive: while that engine held it, no other lock of
 * the stack could be made. file:// backends only; elsewhere the next
 * update's refusal names the lock (runUpdate).
 */
export function removeKilledEngineLocks(backendUrl: string, stack: string, since: number, progress: Steps): void {
    const dir = fileBackendDir(backendUrl);
    if (dir === undefined) {
        return;
    }
    for (const lockDir of stackLockDirs(path.join(dir, ".pulumi", "locks"), stack)) {
        for (const entry of fs.readdirSync(lockDir)) {
            const file = path.join(lockDir, entry);
            const lock = readLock(file);
            // Whole seconds: a lock of second S may have been made up to 1 s after S.
            if (lock && Date.parse(lock.timestamp) + 1000 > since) {
                fs.rmSync(file, { force: true });
                progress.line(`removed the lock the killed engine left on stack ${stack} (made at ${lock.timestamp}, during this update)`);
            }
        }
    }
}

/** The signal that ended the engine, when it did not exit by itself (CommandError keeps execa's error). */
export function engineKilledBy(err: unknown): string | undefined {
    const signal = (err as { commandResult?: { err?: { signal?: unknown } } }).commandResult?.err?.signal;
    return typeof signal === "string" ? signal : undefined;
}

/** One lock as the engine names it when it refuses an update. */
export interface EngineLock {
    readonly by: string;
    readonly pid: number;
    readonly at: string;
}

/**
 * The locks an engine's refusal names ("the stack is currently locked by N
 * lock(s)", then one line per lock: "<url>: created by user@host (pid N)
 * at <time>"); undefined when the error is something else.
 */
export function locksInRefusal(stderr: string): EngineLock[] | undefined {
    if (!/the stack is currently locked by \d+ lock\(s\)/.test(stderr)) {
        return undefined;
    }
    return [...stderr.matchAll(/created by (\S+) \(pid (\d+)\) at (\S+)/g)].map((m) => ({ by: m[1], pid: Number(m[2]), at: m[3] }));
}

/** The stack lock directories named after `stack` under the backend's lock root, at any depth the backend uses. */
function stackLockDirs(root: string, stack: string): string[] {
    if (!fs.existsSync(root)) {
        return [];
    }
    return (fs.readdirSync(root, { recursive: true }) as string[])
        .filter((rel) => path.basename(rel) === stack)
        .map((rel) => path.join(root, rel))
        .filter((dir) => fs.statSync(dir).isDirectory());
}

function readLock(file: string): { timestamp: string } | undefined {
    try {
        const l = JSON.parse(fs.readFileSync(file, "utf8")) as { timestamp?: unknown };
        return typeof l.timestamp === "string" ? { timestamp: l.timestamp } : undefined;
    } catch {
        return undefined; // not an engine lock
    }
}

/**
 * Before the update of `current`, under both locks: the gone engines'
 * locks this run can clear. On a file:// backend, those of `current` and
 * of the stacks the gone holders were releasing (named by their commands)
 * are removed as above. Elsewhere `pulumi cancel` runs on each such other
 * stack that exists, with a line saying so, so that the next release of it
 * (which did not see the takeover and could not tell) is not refused;
 * `current`'s own lock is left to the update (runUpdate reads the refusal).
 */
export async function clearGoneEngineLocks(backendUrl: string, current: string, workspace: LocalWorkspace, progress: Steps): Promise<void> {
    const others = releasesOfGoneHolders().filter((r) => r !== current);
    if (fileBackendDir(backendUrl) !== undefined) {
        [current, ...others].forEach((r) => removeGoneEngineLocks(backendUrl, r, progress));
        return;
    }
    if (others.length === 0) {
        return;
    }
    const stacks = new Set((await workspace.listStacks()).map((s) => s.name));
    for (const release of others.filter((r) => stacks.has(r))) {
        await existingStack(release, workspace).cancel();
        progress.line(
            `pulumi cancel on stack ${release}: the holder this release took over from was releasing it, and a lock its engine left would refuse the next release`,
        );
    }
}
