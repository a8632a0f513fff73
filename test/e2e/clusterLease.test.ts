import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { childrenOf } from "../../pipeline/locks/processes";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";
const LEASE = "pinned-pinned-app";

function commandLine(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
        return "";
    }
}

interface LeaseSample {
    readonly at: number;
    /** The host holding the Lease, or undefined when there is none. */
    readonly host?: string;
    /** The release the live Deployment says it runs. */
    readonly live?: string;
}

/**
 * A cache of its own for a second "machine": every entry of this machine's
 * cache (engine, providers, kubeconfig, passphrase) but the lock files,
 * so the two machines share no lock but the cluster's Lease.
 */
function machineCache(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-machine-b-"));
    for (const entry of fs.readdirSync(cacheDir(process.env))) {
        if (entry !== "locks") {
            fs.symlinkSync(path.join(cacheDir(process.env), entry), path.join(dir, entry));
        }
    }
    return dir;
}

/**
 * The deploy lock in the cluster: two machines (two clones, two caches,
 * two hostnames through `unshare -u`) releasing to one Deployment are kept
 * apart by the coordination.k8s.io Lease next to it, and a Lease whose
 * holder stopped renewing it is taken over.
 */
describe("the cluster lease (two machines, one cluster)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("lease");
    let cluster: Cluster;
    let machineA: ReleaseProject;
    let machineB: ReleaseProject;
    let cacheB: string;
    let namespace: string;

    const lease = () => cluster.lease(namespace);
    const liveRelease = () => cluster.liveRelease(namespace);
    const untilLeaseHeldBy = async (host: string) => {
        const deadline = Date.now() + 180_000;
        while (lease()?.host !== host) {
            assert.ok(Date.now() < deadline, `${host} never took the lease`);
            await new Promise((r) => setTimeout(r, 200));
        }
    };
    /** A Lease written by hand, as another machine's pinned would have left it. */
    const writeLease = (host: string, durationSeconds: number) => {
        const body = {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: {
                name: LEASE,
                namespace,
                annotations: { "pinned/lease-command": "pinned up --release X", "pinned/lease-host": host, "pinned/lease-pid": "1" },
            },
            spec: {
                holderIdentity: `${host}/1/x`,
                leaseDurationSeconds: durationSeconds,
                renewTime: new Date().toISOString().replace(/Z$/, "000Z"),
            },
        };
        const r = spawnSync("kubectl", ["--kubeconfig", cluster.kubeconfig, "create", "-f", "-"], {
            input: JSON.stringify(body),
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
    };

    before(async () => {
        ({ cluster, project: machineA, namespace } = suite);
        cluster.requireRealNode();
        machineB = await ReleaseProject.create(suite.env, `${suite.repository}-b`, { namespace });
        cacheB = machineCache();
        const server = fs.readFileSync(path.join(machineA.dir, "app", "server.py"), "utf8");
        await machineA.release(A);
        await machineB.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        // Built once each, so the race below is between two deploys.
        assert.strictEqual(machineA.up(A).status, 0);
        const first = machineB.up(B, { env: { PINNED_CACHE: cacheB } });
        assert.strictEqual(first.status, 0, first.output);
        assert.strictEqual(liveRelease(), B);
    });

    after(() => {
        machineB?.remove();
        if (cacheB) {
            fs.rmSync(cacheB, { recursive: true, force: true });
        }
    });

    it("the second machine waits on the Lease, then deploys; the two never apply at once", async () => {
        const one = machineA.pinnedAsync(["up", "--release", A], {}, { host: "machine-a" });
        await untilLeaseHeldBy("machine-a");
        const two = machineB.pinnedAsync(["up", "--release", B], { PINNED_CACHE: cacheB }, { host: "machine-b" });
        // Sample the Lease and the live Deployment until both finish: the
        // Deployment may change to a release only while that release's
        // machine holds the Lease.
        const samples: LeaseSample[] = [];
        let finished = 0;
        void one.then(() => finished++);
        void two.then(() => finished++);
        while (finished < 2) {
            const live = liveRelease();
            samples.push({ at: Date.now(), live, host: lease()?.host });
            await new Promise((r) => setTimeout(r, 250));
        }
        const [a, b] = await Promise.all([one, two]);
        assert.strictEqual(a.status, 0, a.output);
        assert.strictEqual(b.status, 0, b.output);
        assert.match(
            b.output,
            new RegExp(`waiting for "pinned up --release ${A}" \\(pid \\d+ on machine-a, renewed [^)]+\\) \\(cluster lease\\)`),
        );
        const owner: Record<string, string> = { [A]: "machine-a", [B]: "machine-b" };
        const changes = samples.filter((s, i) => i > 0 && s.live !== samples[i - 1].live);
        assert.deepStrictEqual(
            changes.map((s) => s.live),
            [A, B],
            `the live release went B → A → B: ${JSON.stringify(samples.map((s) => [s.live, s.host]))}`,
        );
        for (const change of changes) {
            assert.strictEqual(change.host, owner[change.live as string], `${change.live} went live while ${change.host} held the lease`);
        }
        assert.ok(
            samples.every((s) => s.host === undefined || s.host === "machine-a" || s.host === "machine-b"),
            "only the two machines held it",
        );
        assert.strictEqual(lease(), undefined, "the lease is released");
    });

    it("a Lease held by a live holder elsewhere refuses at once with PINNED_LOCK_TIMEOUT=0, naming it, and changes nothing", () => {
        writeLease("machine-c", 300);
        try {
            const stackFile = fs.readFileSync(path.join(machineA.dir, "stacks", `Pulumi.${A}.yaml`), "utf8");
            const up = machineA.pinned(["up", "--release", A], { PINNED_LOCK_TIMEOUT: "0" });
            assert.strictEqual(up.status, 1, up.output);
            assert.match(
                up.output,
                new RegExp(`another release is in progress on ${namespace}/pinned-app: "pinned up --release X" \\(pid 1 on machine-c`),
            );
            assert.match(up.output, /holds lease .*\/pinned-pinned-app/);
            assert.strictEqual(liveRelease(), B);
            assert.strictEqual(fs.readFileSync(path.join(machineA.dir, "stacks", `Pulumi.${A}.yaml`), "utf8"), stackFile);
            assert.strictEqual(lease()?.host, "machine-c", "another holder's lease is left alone");
        } finally {
            cluster.kubectl(["delete", "lease", LEASE, "-n", namespace]);
        }
    });

    it("a Lease its holder stopped renewing is taken over once its duration has passed", () => {
        writeLease("machine-gone", 6);
        const started = Date.now();
        const up = machineA.up(A);
        assert.strictEqual(up.status, 0, up.output);
        assert.match(up.output, /taking over a stale cluster lease: "pinned up --release X" \(pid 1 on machine-gone/);
        assert.ok(Date.now() - started >= 6000, "it waited out the lease's duration");
        assert.strictEqual(liveRelease(), A);
        assert.strictEqual(lease(), undefined);
    });

    it("a holder killed with SIGKILL takes its engine with it; its Lease expires and the next release proceeds", async () => {
        const killed = machineB.pinnedAsync(
            ["up", "--release", B],
            { PINNED_CACHE: cacheB, PINNED_LEASE_SECONDS: "5" },
            { host: "machine-b" },
        );
        await untilLeaseHeldBy("machine-b");
        // Once the engine runs (the update is under way), kill pinned alone.
        let engine: number[] = [];
        for (const deadline = Date.now() + 120_000; engine.length === 0 && Date.now() < deadline;) {
            engine = childrenOf(killed.pid).filter((pid) => /^\S*\/pulumi up /.test(commandLine(pid)));
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(engine.length > 0, "the engine's update never started");
        process.kill(killed.pid, "SIGKILL");
        await killed;
        for (const until = Date.now() + 5000; engine.some((pid) => fs.existsSync(`/proc/${pid}`)) && Date.now() < until;) {
            await new Promise((r) => setTimeout(r, 100));
        }
        // The engine died with it (setpriv --pdeathsig): nothing applies without a holder.
        assert.deepStrictEqual(
            engine.filter((pid) => fs.existsSync(`/proc/${pid}`)),
            [],
            "the engine outlived the pinned that started it",
        );
        const next = machineA.pinned(["up", "--release", A]);
        assert.strictEqual(next.status, 0, next.output);
        assert.match(next.output, /taking over a stale cluster lease: "pinned up --release 2026-12-04-001" \(pid \d+ on machine-b/);
        assert.strictEqual(liveRelease(), A);
    });

    it("a release whose Lease is taken over while it runs stops its engine, says so, puts nothing back and leaves the Lease to its taker", async () => {
        // A is live (the test before), so B's update changes the Deployment.
        const up = machineB.pinnedAsync(["up", "--release", B], { PINNED_CACHE: cacheB, PINNED_LEASE_SECONDS: "8" }, { host: "machine-b" });
        await untilLeaseHeldBy("machine-b");
        let engine: number[] = [];
        for (const deadline = Date.now() + 120_000; engine.length === 0 && Date.now() < deadline;) {
            engine = childrenOf(up.pid).filter((pid) => /^\S*\/pulumi up /.test(commandLine(pid)));
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(engine.length > 0, "the engine's update never started");
        // Another machine takes the Lease over, as a waiter that misjudged it would.
        cluster.kubectl(["delete", "lease", LEASE, "-n", namespace]);
        writeLease("machine-c", 300);
        try {
            const r = await up;
            assert.strictEqual(r.status, 1, r.output);
            assert.match(
                r.output,
                /this release lost the cluster lease .*\/pinned-pinned-app while it ran: "pinned up --release X" \(pid 1 on machine-c, renewed [^)]+\) took it over\. Another release may deploy now, so this one's engine was stopped/,
            );
            assert.doesNotMatch(r.output, /putting back/i);
            assert.deepStrictEqual(
                engine.filter((pid) => fs.existsSync(`/proc/${pid}`)),
                [],
                "the engine outlived the lost Lease",
            );
            assert.strictEqual(lease()?.host, "machine-c", "the taker's Lease is left alone");
        } finally {
            cluster.kubectl(["delete", "lease", LEASE, "-n", namespace]);
        }
        // The stack is left clean: the same release then goes through.
        const again = machineB.up(B, { env: { PINNED_CACHE: cacheB } });
        assert.strictEqual(again.status, 0, again.output);
        assert.strictEqual(liveRelease(), B);
    });
});
