import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Whether the holder of a lock still runs, as the kernel tells it rather
 * than a hostname and a process id: those say nothing across PID
 * namespaces, or containers that share a hostname, and a PID is reused.
 *
 * While a pinned process holds anything, a helper (util-linux flock) keeps
 * an exclusive flock(2) on `<dir>/<token>`. The helper reads a pipe that
 * only this process writes to and exits at its end, so the kernel drops
 * the flock when this process dies, however it dies. Whoever can take
 * that flock knows the holder is gone.
 */

/** What a holder's liveness file says. */
export type Liveness = "alive" | "gone" | "unknown";

/** A holder token: what holding.ts makes, and nothing that could name another path. */
const TOKEN = /^[0-9a-f]{16,64}$/;

interface Proof {
    readonly file: string;
    readonly helper: ChildProcess;
}

let proof: Proof | undefined;

/**
 * Starts proving that this process is alive under `token` in `dir`, and
 * resolves once the flock is held. One proof per process; `stopProving`
 * ends it.
 */
export async function startProving(dir: string, token: string): Promise<void> {
    if (proof) {
        return;
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, token);
    const helper = spawn("flock", ["--exclusive", "--nonblock", "--no-fork", file, "sh", "-c", "echo held; exec cat >/dev/null"], {
        stdio: ["pipe", "pipe", "pipe"],
        // A session of its own: a terminal's Ctrl-C or hangup, meant for
        // pinned, must not end the proof while pinned still holds.
        detached: true,
    });
    await new Promise<void>((resolve, reject) => {
        let said = "";
        helper.stdout.on("data", (d: Buffer) => {
            said += d.toString();
            if (said.includes("held")) {
                resolve();
            }
        });
        helper.stderr.on("data", (d: Buffer) => (said += d.toString()));
        helper.on("error", (err: NodeJS.ErrnoException) =>
            reject(err.code === "ENOENT" ? new Error("flock (util-linux) is not on PATH; pinned needs it to hold a lock") : err),
        );
        helper.on("exit", (code) => reject(new Error(`could not hold ${file} (flock exited ${code}): ${said.trim()}`)));
    });
    // Nothing here keeps this process running: the pipe is only ever closed.
    helper.removeAllListeners("exit");
    helper.unref();
    for (const stream of [helper.stdin, helper.stdout, helper.stderr]) {
        (stream as unknown as { unref?: () => void }).unref?.();
    }
    proof = { file, helper };
}

/** The helper's PID while this process proves itself alive: it is not an engine to stop. */
export function provingPid(): number | undefined {
    return proof?.helper.pid;
}

/** Ends the proof: the helper exits, and the file goes (a waiter that finds no file knows nothing is held). */
export function stopProving(): void {
    if (!proof) {
        return;
    }
    fs.rmSync(proof.file, { force: true });
    proof.helper.stdin?.end();
    proof = undefined;
}

/**
 * What `<dir>/<token>` says about its holder: "alive" while its flock is
 * held, "gone" when it is not (the holder died, or is ending its proof),
 * "unknown" when there is no such file (a holder on another machine, or
 * one that has finished).
 */
export function liveness(dir: string, token: string | undefined): Liveness {
    if (!token || !TOKEN.test(token)) {
        return "unknown";
    }
    const file = path.join(dir, token);
    if (!fs.existsSync(file)) {
        return "unknown";
    }
    const r = spawnSync("flock", ["--exclusive", "--nonblock", file, "true"], { timeout: 10_000 });
    return r.status === 0 ? "gone" : r.status === 1 ? "alive" : "unknown";
}

/** Removes the file a gone holder left. */
export function forgetGone(dir: string, token: string): void {
    if (TOKEN.test(token) && liveness(dir, token) === "gone") {
        fs.rmSync(path.join(dir, token), { force: true });
    }
}
