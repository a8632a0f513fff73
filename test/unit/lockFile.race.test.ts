import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withTargetLock } from "../../pipeline/locks/lockFile";

/** A process that takes the lock, writes "enter"/"exit" lines around holding it, and holds it `holdMs`. */
function locker(file: string, log: string, name: string, holdMs: number): ChildProcess {
    const lock = path.join(__dirname, "..", "..", "pipeline", "locks", "lockFile");
    const script = `
        require("ts-node").register({ transpileOnly: true });
        const fs = require("fs");
        const { withTargetLock } = require(${JSON.stringify(lock)});
        withTargetLock(${JSON.stringify(file)}, ${JSON.stringify(name)}, { waitMs: 60000, pollMs: 20 }, async () => {
            fs.appendFileSync(${JSON.stringify(log)}, "enter ${name} " + process.hrtime.bigint() + "\\n");
            await new Promise((r) => setTimeout(r, ${holdMs}));
            fs.appendFileSync(${JSON.stringify(log)}, "exit ${name} " + process.hrtime.bigint() + "\\n");
        }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
    `;
    return spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit"], cwd: path.join(__dirname, "..", "..") });
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => p.on("exit", (code) => r(code)));

describe("deploy target lock, between processes", function () {
    this.timeout(120_000);
    let dir: string;
    let file: string;
    let log: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-lockrace-"));
        file = path.join(dir, "target.lock");
        log = path.join(dir, "log");
        fs.writeFileSync(log, "");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("eight waiters and a holder killed with SIGKILL: one holder at any moment, all eight finish", async () => {
        const holder = locker(file, log, "holder", 60_000);
        while (!fs.readFileSync(log, "utf8").includes("enter holder")) {
            await new Promise((r) => setTimeout(r, 50));
        }
        const waiters = Array.from({ length: 8 }, (_, i) => locker(file, log, `w${i}`, 150));
        await new Promise((r) => setTimeout(r, 1500)); // all eight are waiting now
        holder.kill("SIGKILL");
        const codes = await Promise.all(waiters.map(exited));
        assert.deepStrictEqual(codes, Array(8).fill(0));
        // Every interval [enter, exit] of the waiters is disjoint from every other.
        const events = fs
            .readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split(" "))
            .filter(([, name]) => name !== "holder");
        let inside = 0;
        let most = 0;
        for (const [kind] of events) {
            inside += kind === "enter" ? 1 : -1;
            most = Math.max(most, inside);
        }
        assert.strictEqual(events.length, 16, "eight enters and eight exits");
        assert.strictEqual(most, 1, `at most one holder at a time:\n${events.map((e) => e.join(" ")).join("\n")}`);
        assert.ok(!fs.existsSync(file), "the last one removed the lock");
    });

    it("an empty lock file left by a crash (created, never written) is taken over once it is old", async () => {
        fs.writeFileSync(file, "");
        const old = new Date(Date.now() - 60_000);
        fs.utimesSync(file, old, old);
        let ran = false;
        await withTargetLock(file, "pinned up", { waitMs: 5000, pollMs: 20 }, async () => {
            ran = true;
        });
        assert.ok(ran);
    });

    it("a fresh empty lock file is not taken over at once (its writer may be mid-way)", async () => {
        fs.writeFileSync(file, "");
        await assert.rejects(
            withTargetLock(file, "pinned up", { waitMs: 200, pollMs: 20 }, async () => undefined),
            /another release is in progress/,
        );
    });
});
