import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Temporary directories that may hold secrets (a preview's copy of a
 * stack's state), removed on every path: when their user is done, and on
 * an interrupt (removeTemporaryDirs, from the command's signal handler).
 */
const live = new Set<string>();

export function makeTemporaryDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    live.add(dir);
    return dir;
}

export function removeTemporaryDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
}

/** Removes every directory still held; returns how many there were. */
export function removeTemporaryDirs(): number {
    const count = live.size;
    for (const dir of [...live]) {
        removeTemporaryDir(dir);
    }
    return count;
}

/**
 * Runs `fn` with SIGINT, SIGTERM and SIGHUP ending the command: the
 * temporary directories are removed and the process exits 130. A
 * synchronous engine run (spawnSync) gets the signal too; this handler then
 * runs as soon as it returns.
 */
export async function removingTemporaryDirsOnSignal<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const onSignal = (signal: NodeJS.Signals) => {
        removeTemporaryDirs();
        process.stderr.write(`${signal}: ${what} stopped; its temporary files were removed\n`);
        process.exit(130);
    };
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    signals.forEach((s) => process.on(s, onSignal));
    try {
        return await fn();
    } finally {
        // A signal that came during a synchronous run (spawnSync) waits in
        // the event loop's poll phase; a timer lets that phase run first, so
        // the handler sees it (setImmediate would come before it).
        await new Promise((resolve) => setTimeout(resolve, 20));
        signals.forEach((s) => process.removeListener(s, onSignal));
    }
}
