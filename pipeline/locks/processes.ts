import * as fs from "fs";
import * as path from "path";

/** True while a process with this PID runs on this host (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The parent of a process, from /proc; undefined once it is gone. */
export function parentOf(pid: number): number | undefined {
    try {
        // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
        return undefined;
    }
}

/** Every process running now, by PID. */
export function allProcesses(): number[] {
    return fs
        .readdirSync("/proc")
        .filter((e) => /^\d+$/.test(e))
        .map(Number);
}

/** The PIDs whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
    return allProcesses().filter((p) => parentOf(p) === pid);
}

/**
 * This user's processes whose environment holds `entry` ("NAME=value"),
 * as they were started (/proc/<pid>/environ). A process past the point of
 * running code (exiting, or a zombie) has no environment left to read, so
 * it is not found: it can change nothing any more.
 */
export function processesWithEnv(entry: string): number[] {
    const uid = process.getuid?.();
    return allProcesses().filter((pid) => {
        if (pid === process.pid) {
            return false;
        }
        try {
            if (uid !== undefined && fs.statSync(`/proc/${pid}`).uid !== uid) {
                return false;
            }
            return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(entry);
        } catch {
            return false; // gone meanwhile
        }
    });
}

/** What a process runs, for messages: its program's file name; "?" once it is gone. */
export function commandName(pid: number): string {
    try {
        // argv[0], as /proc/<pid>/comm cuts names at 15 characters ("pulumi-resource").
        const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
        return argv0 ? path.basename(argv0) : fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "?";
    }
}
