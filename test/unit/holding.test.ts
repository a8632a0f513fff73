import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Progress } from "../../cli/ui/progress";
import { PinnedError } from "../../core/errors";
import { HOLDER_ENV, holderToken, holding, stopLeftovers } from "../../pipeline/locks/holding";
import { withTargetLock } from "../../pipeline/locks/lockFile";
import { liveness, provingPid } from "../../pipeline/locks/liveness";

/** A process's session id, from /proc. */
function sessionOf(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

/**
 * A holder that takes the lock and, holding it, starts what an engine
 * would: a shell (the engine) with a child of its own (a provider), neither
 * of which dies with the holder. It writes "<shell pid> <child pid>" to
 * `pids` and holds the lock until killed.
 */
function holder(file: string, pids: string): ChildProcess {
    const lock = path.join(__dirname, "..", "..", "pipeline", "locks", "lockFile");
    const script = `
        require("ts-node").register({ transpileOnly: true });
        const fs = require("fs");
        const { spawn } = require("child_process");
        const { withTargetLock } = require(${JSON.stringify(lock)});
        withTargetLock(${JSON.stringify(file)}, "pinned up --release H", { waitMs: 0 }, async () => {
            const engine = spawn("sh", ["-c", 'sleep 600 & echo $! > "$0.child"; wait', ${JSON.stringify(pids)}], { stdio: "ignore" });
            while (!fs.existsSync(${JSON.stringify(pids + ".child")})) await new Promise((r) => setTimeout(r, 10));
            await new Promise((r) => setTimeout(r, 50));
            fs.writeFileSync(${JSON.stringify(pids)}, engine.pid + " " + fs.readFileSync(${JSON.stringify(pids + ".child")}, "utf8").trim());
            await new Promise((r) => setTimeout(r, 600000));
        });
    `;
    return spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit"], cwd: path.join(__dirname, "..", "..") });
}

/** Runs, as opposed to gone or a zombie (an exited process its parent has not reaped yet: it runs no code). */
function running(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

describe("deploy target lock: what a dead holder started", function () {
    this.timeout(60_000);
    let dir: string;
    let file: string;
    let text: string;
    let progress: Progress;
    const started: number[] = [];
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-lockleft-"));
        file = path.join(dir, "target.lock");
        text = "";
        progress = new Progress({ write: (t: string) => (text += t) }, { interactive: false });
    });
    afterEach(() => {
        for (const pid of started.splice(0)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // gone, as it should be
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a stale lock is taken over only once everything its dead holder started is gone", async () => {
        const pidsFile = path.join(dir, "pids");
        const h = holder(file, pidsFile);
        while (!fs.existsSync(pidsFile)) {
            await new Promise((r) => setTimeout(r, 20));
        }
        const [engine, child] = fs.readFileSync(pidsFile, "utf8").split(" ").map(Number);
        started.push(engine, child);
        h.kill("SIGKILL");
        await new Promise((r) => h.on("exit", r));
        assert.ok(running(engine) && running(child), "the holder's processes outlive it, as an engine's children do");

        const during: number[] = [];
        await withTargetLock(file, "pinned up --release B", { waitMs: 10_000, pollMs: 20, progress }, async () => {
            during.push(...[engine, child].filter(running));
        });
        assert.deepStrictEqual(during, [], "what the dead holder started still ran while the next holder held the lock");
        assert.ok(!running(engine) && !running(child));
        assert.match(
            text,
            new RegExp(`killed what "pinned up --release H" \\(pid ${h.pid} .*\\) left running: .*pid ${child} \\(sleep\\)`),
        );
        assert.match(text, new RegExp(`taking over a stale lock: "pinned up --release H" \\(pid ${h.pid} `));
    });

    it("processes another holding started are left alone", async () => {
        const other = spawn("sleep", ["600"], { stdio: "ignore", env: { ...process.env, PINNED_HOLDER: "0123456789abcdef" } });
        started.push(other.pid!);
        fs.writeFileSync(
            file,
            JSON.stringify({
                command: "pinned up --release X",
                pid: 4194305,
                host: os.hostname(),
                since: "t",
                token: "fedcba9876543210",
            }),
        );
        await withTargetLock(file, "pinned up --release B", { waitMs: 0, progress }, async () => undefined);
        assert.ok(running(other.pid!), "a process of another holding was killed");
        assert.doesNotMatch(text, /killed what/);
    });

    it("what a holder starts carries its token, and only while it holds", async () => {
        const env = () =>
            new Promise<string>((r) => spawn("sh", ["-c", `printf %s "$${HOLDER_ENV}"`]).stdout!.on("data", (d) => r(String(d))));
        const before = process.env[HOLDER_ENV];
        await withTargetLock(file, "pinned up", { waitMs: 0 }, async () => {
            assert.strictEqual(JSON.parse(fs.readFileSync(file, "utf8")).token, holderToken());
            assert.strictEqual(await env(), holderToken());
            await holding(path.join(dir, "holders"), async () => assert.strictEqual(await env(), holderToken())); // the Lease inside the lock
            assert.strictEqual(await env(), holderToken());
        });
        assert.strictEqual(process.env[HOLDER_ENV], before);
    });

    it("leftovers that outlive SIGKILL are refused by PID, not waited for forever", async () => {
        const mark = "00112233aabbccdd";
        const stuck = spawn("sleep", ["600"], { stdio: "ignore", env: { ...process.env, [HOLDER_ENV]: mark } });
        started.push(stuck.pid!);
        // SIGCONT stands in for a SIGKILL the process does not die of (stuck in the kernel).
        await assert.rejects(
            stopLeftovers(mark, '"pinned up" (pid 1 on h)', progress, { waitMs: 300, signal: "SIGCONT" }),
            (err: unknown) =>
                err instanceof PinnedError &&
                err.problem.includes(
                    `"pinned up" (pid 1 on h) is gone, but processes it started still run 0 s after SIGKILL: pid ${stuck.pid} (sleep)`,
                ) &&
                err.fix.includes(`-p ${stuck.pid}`),
        );
        assert.ok(running(stuck.pid!));
    });

    it("a holder proves itself alive only while it holds: its liveness file is locked inside, gone after", async () => {
        const holders = path.join(dir, "holders");
        await withTargetLock(file, "a", { waitMs: 0 }, async () => {
            const token = JSON.parse(fs.readFileSync(file, "utf8")).token as string;
            assert.strictEqual(liveness(holders, token), "alive");
            // A terminal's Ctrl-C reaches pinned's process group; the proof is in a session of its own.
            assert.notStrictEqual(sessionOf(provingPid()!), sessionOf(process.pid));
        });
        assert.deepStrictEqual(fs.readdirSync(holders), []);
    });
});
