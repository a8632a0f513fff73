import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Progress } from "../../cli/ui/progress";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import {
    clearGoneEngineLocks,
    engineKilledBy,
    locksInRefusal,
    madeByGoneEngine,
    removeGoneEngineLocks,
    removeKilledEngineLocks,
} from "../../pipeline/engine/backendLocks";
import { noteTakeover, releasesOfGoneHolders } from "../../pipeline/locks/holding";

/** What the engine (3.248.0) printed here when a lock file was left in a file:// backend and `pulumi up` ran. */
const REFUSAL = `error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.
  file:///tmp/s/.pulumi/locks/organization/p/s1/abc.json?no_tmp_dir=true: created by root@other-host (pid 4194305) at 2026-12-03T09:00:00Z`;

describe("the engine's own stack lock: removed only when its engine is known gone", () => {
    it("a lock is known gone only when made before this process took the target over from a gone holder", () => {
        const at = Date.parse("2026-12-03T09:00:00Z");
        assert.strictEqual(madeByGoneEngine(at, undefined), false, "no takeover: nothing is known");
        assert.strictEqual(madeByGoneEngine(at, at + 5000), true);
        // The engine writes whole seconds: a lock of this second may be newer than a takeover within it.
        assert.strictEqual(madeByGoneEngine(at, at + 500), false);
        assert.strictEqual(madeByGoneEngine(at, at - 1), false, "made after the takeover: by whoever holds now");
        assert.strictEqual(madeByGoneEngine(NaN, at), false);
    });

    it("reads the locks the engine's refusal names, and nothing from another error", () => {
        assert.deepStrictEqual(locksInRefusal(REFUSAL), [{ by: "root@other-host", pid: 4194305, at: "2026-12-03T09:00:00Z" }]);
        assert.strictEqual(locksInRefusal("error: something else"), undefined);
    });

    it("a file:// backend's lock is removed before the update only when made before the takeover, saying so", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-enginelock-"));
        try {
            const locks = path.join(dir, ".pulumi", "locks", "organization", "p", "2026-12-03-001");
            fs.mkdirSync(locks, { recursive: true });
            const old = path.join(locks, "old.json");
            const fresh = path.join(locks, "fresh.json");
            fs.writeFileSync(
                old,
                JSON.stringify({ pid: 1, hostname: os.hostname(), timestamp: new Date(Date.now() - 60_000).toISOString() }),
            );
            let text = "";
            const progress = new Progress({ write: (t: string) => (text += t) }, { interactive: false });
            noteTakeover("pinned up --release 2026-12-03-001");
            fs.writeFileSync(fresh, JSON.stringify({ pid: 2, hostname: "h", timestamp: new Date(Date.now() + 2000).toISOString() }));
            removeGoneEngineLocks(`file://${dir}`, "2026-12-03-001", progress);
            assert.ok(!fs.existsSync(old), "the gone engine's lock stays");
            assert.ok(fs.existsSync(fresh), "a lock made after the takeover was removed");
            assert.match(
                text,
                /removed the engine's lock on stack 2026-12-03-001, left at .* by an engine of the holder this release took over from/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("after this run's engine was killed: its lock, made during the update, is removed; an older one stays", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-enginelock-"));
        try {
            const locks = path.join(dir, ".pulumi", "locks", "organization", "p", "2026-12-03-002");
            fs.mkdirSync(locks, { recursive: true });
            const started = Date.parse("2026-12-03T13:30:00.500Z");
            const before = path.join(locks, "before.json");
            const during = path.join(locks, "during.json");
            fs.writeFileSync(before, JSON.stringify({ pid: 1, timestamp: "2026-12-03T13:29:58Z" }));
            // Whole seconds: second 13:30:00 may be after a start at 13:30:00.5.
            fs.writeFileSync(during, JSON.stringify({ pid: 2, timestamp: "2026-12-03T13:30:00Z" }));
            let text = "";
            const progress = new Progress({ write: (t: string) => (text += t) }, { interactive: false });
            removeKilledEngineLocks(`file://${dir}`, "2026-12-03-002", started, progress);
            assert.ok(fs.existsSync(before), "a lock from before the update stays");
            assert.ok(!fs.existsSync(during), "the killed engine's lock is removed");
            assert.match(
                text,
                /removed the lock the killed engine left on stack 2026-12-03-002 \(made at 2026-12-03T13:30:00Z, during this update\)/,
            );
            assert.strictEqual(engineKilledBy({ commandResult: { err: { signal: "SIGKILL" } } }), "SIGKILL");
            assert.strictEqual(engineKilledBy({ commandResult: { err: { exitCode: 255 } } }), undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("after a takeover, the gone holder's releases are known, and a file:// lock its engine left on another stack is cleared", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-enginelock-"));
        try {
            const locks = path.join(dir, ".pulumi", "locks", "organization", "p", "2026-12-02-007");
            fs.mkdirSync(locks, { recursive: true });
            fs.writeFileSync(
                path.join(locks, "x.json"),
                JSON.stringify({ pid: 1, hostname: "bob", timestamp: new Date(Date.now() - 60_000).toISOString() }),
            );
            noteTakeover('"pinned rollback --to 2026-12-02-007"');
            assert.ok(releasesOfGoneHolders().includes("2026-12-02-007"));
            let text = "";
            const progress = new Progress({ write: (t: string) => (text += t) }, { interactive: false });
            await clearGoneEngineLocks(`file://${dir}`, "2026-12-03-001", {} as LocalWorkspace, progress);
            assert.deepStrictEqual(fs.readdirSync(locks), []);
            assert.match(text, /removed the engine's lock on stack 2026-12-02-007/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
