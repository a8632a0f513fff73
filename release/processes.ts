import * as fs from "fs";

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
