import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { targetLockPath } from "../../pipeline/locks/lockFile";
import { allProcesses, parentOf } from "../../pipeline/locks/processes";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";

/** Resolves once `file` exists: the first racer holds the environment. */
async function untilExists(file: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!fs.existsSync(file)) {
        if (Date.now() > deadline) {
            throw new Error(`${file} never appeared`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** A process's command line and holder mark, as far as /proc still tells. */
function describeProcess(pid: number): string {
    try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(-3).join(" ");
        const mark = /PINNED_HOLDER=([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/environ`, "utf8"))?.[1];
        return `${argv}${mark ? `, mark ${mark}` : ""}`;
    } catch {
        return "gone";
    }
}

/**
 * The engines running `pulumi up` in `dir` (the release's update, not a
 * build), with their parents. A process whose parent is such an engine is
 * not another engine: it is the engine starting a plugin, seen between
 * Go's clone (CLONE_VM | CLONE_VFORK, so it shows the engine's memory and
 * command line) and its exec of the plugin.
 */
function updateEngines(dir: string): Array<{ pid: number; parent: number }> {
    const found: Array<{ pid: number; parent: number }> = [];
    for (const pid of allProcesses()) {
        try {
            const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            const parent = parentOf(pid);
            if (path.basename(argv[0]) === "pulumi" && argv[1] === "up" && fs.readlinkSync(`/proc/${pid}/cwd`) === dir && parent) {
                found.push({ pid, parent });
            }
        } catch {
            // gone meanwhile
        }
    }
    return found.filter((e) => !found.some((other) => other.pid === e.parent));
}

/**
 * Two releases at once on one environment, forced to overlap: the second
 * waits (or, told not to wait, refuses), and both stacks' state exports
 * clean afterwards, with no pending operations.
 */
describe("concurrent releases (real engine, registry, API server)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("race");
    let NAMESPACE: string;
    let cluster: Cluster;
    let project: ReleaseProject;
    let digests: Record<string, string>;
    let lock: string;

    /** A stack's exported state must parse, carry no pending operation, and hold the Deployment. */
    const assertCleanState = (release: string) => {
        const exported = project.pulumi(["stack", "export", "--stack", release]);
        assert.strictEqual(exported.status, 0, exported.output);
        const deployment = JSON.parse(exported.output).deployment as { pending_operations?: unknown[]; resources: Array<{ type: string }> };
        assert.deepStrictEqual(deployment.pending_operations ?? [], [], `pending operations in ${release}`);
        assert.ok(
            deployment.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment"),
            `no Deployment in ${release}'s state`,
        );
    };

    before(async () => {
        ({ cluster, project, namespace: NAMESPACE } = suite);
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        await project.release(A);
        assert.strictEqual(project.up(A).status, 0);
        await project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-race"') });
        assert.strictEqual(project.up(B).status, 0);
        digests = { [A]: String(project.stackConfig(A)["pinned:imageDigest"]), [B]: String(project.stackConfig(B)["pinned:imageDigest"]) };
        lock = targetLockPath(
            { kind: "cluster", kubeconfig: path.join(cacheDir(process.env), "kubeconfig"), source: "test" },
            { namespace: NAMESPACE, name: "pinned-app" },
            path.join(cacheDir(process.env), "locks"),
        );
    });

    it("a second pinned up waits for the first, then runs; state stays clean", async () => {
        const first = project.pinnedAsync(["up", "--release", A]);
        await untilExists(lock);
        const second = project.pinnedAsync(["up", "--release", B]);
        const [one, two] = await Promise.all([first, second]);
        assert.strictEqual(one.status, 0, one.output);
        assert.strictEqual(two.status, 0, two.output);
        assert.match(two.output, new RegExp(`waiting for "pinned up --release ${A}" \\(pid \\d+`));
        assert.match(two.output, /✓ waiting for .* \(\d+s\)/);
        // The second ran after the first, so its release is the one live.
        assert.strictEqual(cluster.liveImage(NAMESPACE), digests[B]);
        assert.strictEqual(project.pinned(["status"]).status, 0);
        assertCleanState(A);
        assertCleanState(B);
        assert.ok(!fs.existsSync(lock), "the lock is released");
    });

    it("with PINNED_LOCK_TIMEOUT=0 the second refuses at once, naming the holder, and changes nothing", async () => {
        const stackFileB = fs.readFileSync(path.join(project.dir, "stacks", `Pulumi.${B}.yaml`), "utf8");
        const first = project.pinnedAsync(["rollback", "--to", A]);
        await untilExists(lock);
        const second = project.pinned(["up", "--release", B], { PINNED_LOCK_TIMEOUT: "0" });
        assert.strictEqual(second.status, 1, second.output);
        assert.match(
            second.output,
            new RegExp(`another release is in progress on this deploy target: "pinned rollback --to ${A}" \\(pid \\d+`),
        );
        assert.match(second.output, /fix: let it finish/);
        const one = await first;
        assert.strictEqual(one.status, 0, one.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digests[A]);
        assert.strictEqual(fs.readFileSync(path.join(project.dir, "stacks", `Pulumi.${B}.yaml`), "utf8"), stackFileB);
        assertCleanState(A);
        assertCleanState(B);
    });

    it("a pinned up in another PID namespace, with this host name and cache, cannot see the holder's PID and waits for it anyway; once the holder dies, it takes over", async () => {
        // A holder of the real lock file, as a pinned in this PID namespace holds it.
        const script = `
            require("ts-node").register({ transpileOnly: true });
            const { withTargetLock } = require(${JSON.stringify(path.join(__dirname, "..", "..", "pipeline", "locks", "lockFile"))});
            withTargetLock(${JSON.stringify(lock)}, "pinned up --release H", { waitMs: 0 }, () => new Promise(() => setInterval(() => undefined, 1000)));
        `;
        const holder = spawn(process.execPath, ["-e", script], { stdio: "ignore", cwd: path.join(__dirname, "..", "..") });
        try {
            await untilExists(lock);
            const refused = await project.pinnedAsync(["up", "--release", B], { PINNED_LOCK_TIMEOUT: "3" }, { pidNamespace: true });
            assert.strictEqual(refused.status, 1, refused.output);
            assert.match(
                refused.output,
                new RegExp(
                    `another release is in progress on this deploy target: "pinned up --release H" \\(pid ${holder.pid} on ${os.hostname()}`,
                ),
            );
            assert.doesNotMatch(refused.output, /taking over/);
        } finally {
            holder.kill("SIGKILL");
        }
        await new Promise((r) => holder.once("exit", r));
        // The kernel dropped the dead holder's flock: the same command now takes over, from the other PID namespace too.
        const up = await project.pinnedAsync(["up", "--release", B], { PINNED_LOCK_TIMEOUT: "0" }, { pidNamespace: true });
        assert.strictEqual(up.status, 0, up.output);
        assert.match(
            up.output,
            new RegExp(
                `taking over a stale lock: "pinned up --release H" \\(pid ${holder.pid} on ${os.hostname()}, since [^)]+\\) is no longer running`,
            ),
        );
        assert.strictEqual(cluster.liveImage(NAMESPACE), digests[B]);
        assertCleanState(B);
    });

    it("eight pinned up at once, the holder killed with SIGKILL: never two engines applying, the other seven finish", async () => {
        const runs = Array.from({ length: 8 }, (_, i) => project.pinnedAsync(["up", "--release", i % 2 === 0 ? A : B]));
        let most = 0;
        let killed: number | undefined;
        let finished = 0;
        runs.forEach((r) => void r.then(() => finished++));
        let overlap = "";
        while (finished < runs.length) {
            const engines = updateEngines(project.dir);
            most = Math.max(most, engines.length);
            if (engines.length > 1 && !overlap) {
                // Who they were, for whoever reads a failure: engine, parent, the parent's mark.
                overlap = engines
                    .map((e) => `engine ${e.pid} of pid ${e.parent} (${describeProcess(e.parent)}; killed: ${e.parent === killed})`)
                    .join("; ");
            }
            if (killed === undefined && engines.length === 1) {
                // The holder is the pinned whose engine applies; kill it alone, as a crash would.
                killed = engines[0].parent;
                process.kill(killed, "SIGKILL");
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        const results = await Promise.all(runs);
        assert.ok(killed !== undefined, "an engine was seen applying");
        assert.strictEqual(most, 1, `at most one engine applied at any moment; seen together: ${overlap}`);
        const others = results.filter((_, i) => runs[i].pid !== killed);
        assert.strictEqual(others.length, 7);
        for (const r of others) {
            assert.strictEqual(r.status, 0, r.output);
        }
        assert.ok(
            others.some((r) => /taking over a stale lock: "pinned up --release \S+" \(pid \d+/.test(r.output)),
            "one of them took over the killed holder's lock",
        );
        assertCleanState(A);
        assertCleanState(B);
        assert.ok(!fs.existsSync(lock), "the lock is released");
    });

    it("a lock left by a process that died is taken over, not waited for", () => {
        fs.mkdirSync(path.dirname(lock), { recursive: true });
        // PID 2^22+1 is above Linux's pid_max, so no process has it.
        fs.writeFileSync(
            lock,
            JSON.stringify({
                command: "pinned up --release X",
                pid: 4194305,
                host: os.hostname(),
                since: "2026-01-01T00:00:00Z",
                token: "x",
            }),
        );
        const up = project.up(B, { env: { PINNED_LOCK_TIMEOUT: "0" } });
        assert.strictEqual(up.status, 0, up.output);
        assert.match(up.output, /taking over a stale lock: "pinned up --release X" \(pid 4194305/);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digests[B]);
        assert.ok(!fs.existsSync(lock));
    });
});
