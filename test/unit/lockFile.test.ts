import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { targetLockPath, lockPath, lockWaitMs, withTargetLock } from "../../pipeline/locks/lockFile";
import { Progress } from "../../cli/ui/progress";

describe("deploy target lock", () => {
    let dir: string;
    let file: string;
    let text: string;
    let progress: Progress;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-lock-"));
        file = lockPath("/k/kubeconfig#ns/pinned-app", dir);
        text = "";
        progress = new Progress({ write: (t: string) => (text += t) }, { interactive: false });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("one file per deploy target, readable and distinct", () => {
        assert.strictEqual(path.dirname(file), dir);
        assert.match(path.basename(file), /^_k_kubeconfig_ns_pinned-app-[0-9a-f]{12}\.lock$/);
        assert.notStrictEqual(lockPath("/k/kubeconfig#ns/other", dir), file);
        assert.strictEqual(lockPath("/k/kubeconfig#ns/pinned-app", dir), file);
    });

    it("keys a cluster target by kubeconfig and Deployment, a render target by its directory", () => {
        const cluster = (kubeconfig: string) => ({ kind: "cluster" as const, kubeconfig, source: "test" });
        const at = { namespace: "ns", name: "pinned-app" };
        assert.strictEqual(targetLockPath(cluster("/k/kubeconfig"), at, dir), file);
        assert.notStrictEqual(targetLockPath(cluster("/other/kubeconfig"), at, dir), file);
        assert.notStrictEqual(targetLockPath(cluster("/k/kubeconfig"), { ...at, namespace: "other" }, dir), file);
        const render = targetLockPath({ kind: "render", dir: "out/r", source: "test" }, at, dir);
        assert.strictEqual(render, lockPath(path.resolve("out/r"), dir));
    });

    it("holds the file while the work runs and removes it after, also on failure", async () => {
        await withTargetLock(file, "pinned up --release A", { waitMs: 0 }, async () => {
            const holder = JSON.parse(fs.readFileSync(file, "utf8"));
            assert.strictEqual(holder.command, "pinned up --release A");
            assert.strictEqual(holder.pid, process.pid);
        });
        assert.ok(!fs.existsSync(file));
        await assert.rejects(
            withTargetLock(file, "x", { waitMs: 0 }, async () => Promise.reject(new Error("boom"))),
            /boom/,
        );
        assert.ok(!fs.existsSync(file));
    });

    it("refuses at once with waitMs 0, naming the holder; the holder's lock stays", async () => {
        await withTargetLock(file, "pinned up --release A", { waitMs: 0 }, async () => {
            await assert.rejects(
                withTargetLock(file, "pinned up --release B", { waitMs: 0 }, async () => assert.fail("must not run")),
                (err: unknown) =>
                    err instanceof PinnedError &&
                    /another release is in progress on this deploy target: "pinned up --release A" \(pid \d+/.test(err.problem) &&
                    /PINNED_LOCK_TIMEOUT/.test(err.fix),
            );
            assert.ok(fs.existsSync(file));
        });
    });

    it("a waiter runs after the holder finishes, and says whom it waited for", async () => {
        const order: string[] = [];
        let release!: () => void;
        const first = withTargetLock(
            file,
            "pinned up --release A",
            { waitMs: 0 },
            () => new Promise<void>((r) => (release = () => (order.push("A"), r()))),
        );
        const second = withTargetLock(file, "pinned up --release B", { waitMs: 10_000, pollMs: 10, progress }, async () => {
            order.push("B");
        });
        await new Promise((r) => setTimeout(r, 100));
        assert.deepStrictEqual(order, []);
        release();
        await Promise.all([first, second]);
        assert.deepStrictEqual(order, ["A", "B"]);
        assert.match(text, /^waiting for "pinned up --release A" \(pid \d+ on .*\) to finish …$/m);
        assert.match(text, /^✓ waiting for/m);
    });

    /** A holder proving itself alive under `token`, as a pinned in another PID namespace sharing this cache would. */
    const aliveElsewhere = async (token: string): Promise<ChildProcess> => {
        const holders = path.join(dir, "holders");
        fs.mkdirSync(holders, { recursive: true });
        const p = spawn("flock", ["--exclusive", "--no-fork", path.join(holders, token), "sh", "-c", "echo held; exec sleep 600"]);
        await new Promise((r) => p.stdout!.once("data", r));
        return p;
    };

    it("gives up after waitMs", async () => {
        const alive = await aliveElsewhere("aaaabbbbccccdddd");
        try {
            fs.writeFileSync(
                file,
                JSON.stringify({
                    command: "pinned rollback",
                    pid: process.pid,
                    host: os.hostname(),
                    since: "t",
                    token: "aaaabbbbccccdddd",
                }),
            );
            await assert.rejects(
                withTargetLock(file, "b", { waitMs: 200, pollMs: 20, progress }, async () => undefined),
                /Waited 0s|Waited 1s|Waited \d+s/,
            );
            assert.match(text, /✗ waiting for "pinned rollback"/);
            assert.ok(fs.existsSync(file), "another process's lock is never removed");
        } finally {
            alive.kill("SIGKILL");
        }
    });

    it("takes over a lock whose holder left no liveness file, or whose liveness file nobody locks", async () => {
        for (const [token, proof] of [
            ["0123456789abcdef", false],
            ["fedcba9876543210", true],
        ] as const) {
            if (proof) {
                fs.mkdirSync(path.join(dir, "holders"), { recursive: true });
                fs.writeFileSync(path.join(dir, "holders", token), ""); // left by a holder that died
            }
            fs.writeFileSync(
                file,
                JSON.stringify({ command: `pinned up --release ${token}`, pid: 123, host: "elsewhere", since: "t", token }),
            );
            let ran = false;
            await withTargetLock(file, "pinned up --release B", { waitMs: 0, progress }, async () => {
                ran = true;
            });
            assert.ok(ran);
            assert.match(text, new RegExp(`taking over a stale lock: "pinned up --release ${token}" \\(pid 123 on elsewhere`));
        }
    });

    it("never takes over a lock whose holder is alive, whatever host and PID it names (here, a PID that does not exist: another PID namespace)", async () => {
        const token = "00112233aabbccdd";
        const alive = await aliveElsewhere(token);
        try {
            fs.writeFileSync(file, JSON.stringify({ command: "pinned up", pid: 4194305, host: os.hostname(), since: "t", token }));
            await assert.rejects(
                withTargetLock(file, "b", { waitMs: 0 }, async () => undefined),
                new RegExp(`pid 4194305 on ${os.hostname()}`),
            );
            assert.ok(fs.existsSync(file));
        } finally {
            alive.kill("SIGKILL");
        }
        // Once it dies, the kernel drops its flock, and the lock is taken over.
        await new Promise((r) => alive.on("exit", r));
        await withTargetLock(file, "b", { waitMs: 0, progress }, async () => undefined);
        assert.match(text, /taking over a stale lock: "pinned up" \(pid 4194305/);
    });

    it("reads PINNED_LOCK_TIMEOUT in seconds, 600 by default, and refuses anything else", () => {
        assert.strictEqual(lockWaitMs({}), 600_000);
        assert.strictEqual(lockWaitMs({ PINNED_LOCK_TIMEOUT: "0" }), 0);
        assert.strictEqual(lockWaitMs({ PINNED_LOCK_TIMEOUT: "45" }), 45_000);
        for (const bad of ["-1", "1.5", "ten"]) {
            assert.throws(
                () => lockWaitMs({ PINNED_LOCK_TIMEOUT: bad }),
                (e: unknown) => e instanceof PinnedError && e.problem.includes(bad),
            );
        }
    });
});
