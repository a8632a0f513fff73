import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileBackendDir } from "./backendState";
import { Steps } from "./steps";
import { isAlive } from "./processes";

/**
 * The engine locks a stack with a file in a file:// backend
 * (.pulumi/locks/<org>/<project>/<stack>/<id>.json, holding pid, hostname
 * and time). An engine killed with SIGKILL (with the pinned that started
 * it: engine.ts) leaves that file, and every later update of the stack is
 * refused until someone runs `pulumi cancel`. Called while pinned holds the
 * deploy lock and the cluster Lease, so no other pinned runs the stack:
 * a lock whose process on this host is gone is removed, with a line saying
 * so. A live process's lock, or another host's, is left to the engine,
 * which then refuses with its own message naming the holder.
 */
export function removeDeadEngineLocks(backendUrl: string, stack: string, progress: Steps): void {
    const dir = fileBackendDir(backendUrl);
    if (dir === undefined) {
        return;
    }
    const root = path.join(dir, ".pulumi", "locks");
    for (const dir of stackLockDirs(root, stack)) {
        for (const entry of fs.readdirSync(dir)) {
            const file = path.join(dir, entry);
            const lock = readLock(file);
            if (lock && lock.hostname === os.hostname() && !isAlive(lock.pid)) {
                fs.rmSync(file, { force: true });
                progress.line(
                    `removed the engine's lock on stack ${stack}, left by pid ${lock.pid} (no longer running) at ${lock.timestamp}`,
                );
            }
        }
    }
}

/** The lock directories named after `stack` under the backend's lock root, at any depth the backend uses. */
function stackLockDirs(root: string, stack: string): string[] {
    if (!fs.existsSync(root)) {
        return [];
    }
    return (fs.readdirSync(root, { recursive: true }) as string[])
        .filter((rel) => path.basename(rel) === stack)
        .map((rel) => path.join(root, rel))
        .filter((dir) => fs.statSync(dir).isDirectory());
}

function readLock(file: string): { pid: number; hostname: string; timestamp: string } | undefined {
    try {
        const l = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown; hostname?: unknown; timestamp?: unknown };
        return typeof l.pid === "number" && typeof l.hostname === "string"
            ? { pid: l.pid, hostname: l.hostname, timestamp: String(l.timestamp ?? "an unknown time") }
            : undefined;
    } catch {
        return undefined; // not an engine lock
    }
}
