import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { localStore, storeCredentials } from "../../core/localCache";
import { cacheDir, localRegistry } from "../../pipeline/project/localEnvironment";
import { RELEASE_WORKFLOW, workflowStep } from "../support/workflow";
import { allProcesses } from "../../pipeline/locks/processes";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { Machine, newMachine } from "./support/machine";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";

/** True while an engine runs `pulumi up` in `dir` (any PID namespace: this one sees them all). */
function engineRunsIn(dir: string): boolean {
    return allProcesses().some((pid) => {
        try {
            const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            return path.basename(argv[0]) === "pulumi" && argv[1] === "up" && fs.readlinkSync(`/proc/${pid}/cwd`) === dir;
        } catch {
            return false;
        }
    });
}
const B = "2026-12-04-001";

/**
 * A team: Alice and Bob on two machines (own clone, home, cache, hostname
 * and PID namespace) sharing the cluster, the registry and the state store
 * (the embedded S3-compatible store, PINNED_STATE=store), as README
 * "For a team" sets it up.
 */
describe("a team shares releases through the state store (two machines; real store, engine, registry, API server)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("team");
    let cluster: Cluster;
    let namespace: string;
    let alice: ReleaseProject;
    let bob: ReleaseProject;
    let aliceAt: Machine;
    let bobAt: Machine;
    const digests: Record<string, string> = {};
    /** The Pulumi project: unique per run, since the store outlives it and other runs share it. */
    const projectName = `pinned-team-${process.pid}`;

    const on = (m: Machine, extra: Record<string, string> = {}) => ({ ...m.env, ...extra });
    const run = (who: ReleaseProject, m: Machine, args: string[], extra: Record<string, string> = {}) =>
        who.pinnedAsync(args, on(m, extra), { host: m.name, pidNamespace: true });
    const live = () => cluster.liveImage(namespace);
    const leaseHolder = () => cluster.lease(namespace)?.host;

    before(async () => {
        assert.ok(localStore(cacheDir(process.env)), "the state store is not set up: run npx pinned env up");
        ({ cluster, project: alice, namespace } = suite);
        cluster.requireRealNode();
        alice.rename(projectName);
        aliceAt = newMachine("alice");
        bobAt = newMachine("bob");
        await alice.release(A);
        const up = await run(alice, aliceAt, ["up", "--release", A]);
        assert.strictEqual(up.status, 0, up.output);
        digests[A] = String(alice.stackConfig(A)["pinned:imageDigest"]);
        // What a teammate commits and pushes: the release's stack file.
        await alice.commit(`record ${A}`);
        bob = await ReleaseProject.cloneOf(alice);
    });

    after(() => {
        for (const [who, m] of [
            [alice, aliceAt],
            [bob, bobAt],
        ] as const) {
            for (const stack of [A, B]) {
                if (who && m) {
                    who.userShell(`pulumi stack rm --yes --force --stack ${stack} >/dev/null 2>&1 || true`, undefined, on(m));
                }
            }
        }
        bob?.remove();
        aliceAt?.remove();
        bobAt?.remove();
    });

    it("Bob's fresh clone lists Alice's release, with pinned releases and with plain pulumi stack ls", async () => {
        const releases = await run(bob, bobAt, ["releases"]);
        assert.strictEqual(releases.status, 0, releases.output);
        const line = releases.output.split("\n").find((l) => l.startsWith(A)) ?? "";
        assert.match(line, new RegExp(digests[A].split("@")[1].slice(7, 19)), releases.output);
        assert.match(line, /\*\s*$/, `Alice's release is live: ${releases.output}`);
        const ls = bob.userShell("pulumi stack ls --json", undefined, on(bobAt));
        assert.strictEqual(ls.status, 0, ls.output);
        assert.deepStrictEqual(
            (JSON.parse(ls.stdout) as Array<{ name: string }>).map((s) => s.name),
            [A],
        );
    });

    it("Bob releases B from his clone; Alice rolls back to A with plain pulumi up --stack A", async () => {
        const server = fs.readFileSync(path.join(bob.dir, "app", "server.py"), "utf8");
        await bob.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-team"') });
        const up = await run(bob, bobAt, ["up", "--release", B]);
        assert.strictEqual(up.status, 0, up.output);
        digests[B] = String(bob.stackConfig(B)["pinned:imageDigest"]);
        assert.strictEqual(live(), digests[B]);
        const back = alice.userShell(`pulumi up --stack ${A} --yes --skip-preview`, undefined, on(aliceAt));
        assert.strictEqual(back.status, 0, back.output);
        assert.strictEqual(live(), digests[A]);
    });

    it("both pinned up at once: one waits on the Lease, both finish, and the live release changes only while its machine holds the Lease", async () => {
        // Alice needs B's tag and stack file to deploy it: she pulls Bob's work.
        await bob.commit(`record ${B}`);
        await alice.git.pull(bob.dir, "main", ["--tags"]);
        assert.strictEqual(live(), digests[A]);
        const one = run(alice, aliceAt, ["up", "--release", B]);
        for (const deadline = Date.now() + 180_000; leaseHolder() !== "alice";) {
            assert.ok(Date.now() < deadline, "Alice never took the Lease");
            await new Promise((r) => setTimeout(r, 200));
        }
        const two = run(bob, bobAt, ["up", "--release", A]);
        const samples: Array<{ live: string; holder?: string }> = [];
        let finished = 0;
        void one.then(() => finished++);
        void two.then(() => finished++);
        while (finished < 2) {
            samples.push({ live: live(), holder: leaseHolder() });
            await new Promise((r) => setTimeout(r, 250));
        }
        const [a, b] = await Promise.all([one, two]);
        assert.strictEqual(a.status, 0, a.output);
        assert.strictEqual(b.status, 0, b.output);
        assert.match(
            b.output,
            new RegExp(`waiting for "pinned up --release ${B}" \\(pid \\d+ on alice, renewed [^)]+\\) \\(cluster lease\\)`),
        );
        const owner: Record<string, string> = { [digests[B]]: "alice", [digests[A]]: "bob" };
        const changes = samples.filter((s, i) => i > 0 && s.live !== samples[i - 1].live);
        assert.deepStrictEqual(
            changes.map((s) => s.live),
            [digests[B], digests[A]],
            `A → B → A: ${JSON.stringify(samples)}`,
        );
        for (const change of changes) {
            assert.strictEqual(change.holder, owner[change.live], `${change.live} went live while ${change.holder} held the Lease`);
        }
        // Each printed what it made live; Bob's, the last, is what runs.
        assert.match(a.output, new RegExp(`live: ${digests[B].replace(/[.]/g, "\\.")}`));
        assert.match(b.output, new RegExp(`live: ${digests[A].replace(/[.]/g, "\\.")}`));
        assert.strictEqual(live(), digests[A]);
    });

    it("Bob's machine dies mid-release: Alice waits out his Lease, clears his engine's lock in the store and releases; Bob, restarted, takes over his own lock file and finishes", async () => {
        assert.strictEqual(live(), digests[A]);
        let said = "";
        const killed = bob.pinnedAsync(["up", "--release", B], on(bobAt, { PINNED_LEASE_SECONDS: "6" }), {
            host: "bob",
            pidNamespace: true,
            onOutput: (text) => (said = text),
        });
        for (const deadline = Date.now() + 180_000; !(/deploying to/.test(said) && engineRunsIn(bob.dir));) {
            assert.ok(Date.now() < deadline, `Bob's update never started: ${said}`);
            await new Promise((r) => setTimeout(r, 100));
        }
        // The engine takes the stack's lock in the store as it starts; then the machine dies.
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(killed.pid, "SIGKILL");
        await killed;
        const aliceUp = await run(alice, aliceAt, ["up", "--release", A]);
        assert.strictEqual(aliceUp.status, 0, aliceUp.output);
        assert.match(aliceUp.output, new RegExp(`taking over a stale cluster lease: "pinned up --release ${B}" \\(pid \\d+ on bob`));
        // Bob's engine died holding B's lock in the store: Alice, who knows Bob's holder is gone, clears it and says so.
        assert.match(aliceUp.output, new RegExp(`pulumi cancel on stack ${B}: the holder this release took over from was releasing it`));
        assert.strictEqual(live(), digests[A]);
        const again = await run(bob, bobAt, ["up", "--release", B]);
        assert.strictEqual(again.status, 0, again.output);
        assert.match(again.output, new RegExp(`taking over a stale lock: "pinned up --release ${B}" \\(pid \\d+ on bob`));
        assert.doesNotMatch(again.output, /the stack is currently locked|cannot tell that engine is gone/);
        assert.strictEqual(live(), digests[B]);
    });

    it("a pull request's preview from a third clone (the runner) against the live state in the store: one Deployment update, the image old → new; the bookkeeping folded", async () => {
        const runnerAt = newMachine("runner");
        const runner = await ReleaseProject.cloneOf(bob);
        try {
            assert.strictEqual(live(), digests[B]);
            const server = fs.readFileSync(path.join(runner.dir, "app", "server.py"), "utf8");
            await runner.commit("an app-only change", { "app/server.py": server.replace('"pinned-example-team"', '"pinned-example-pr"') });
            const preview = await run(runner, runnerAt, ["preview", "--markdown"]);
            assert.strictEqual(preview.status, 3, preview.output);
            const body = preview.stdout;
            assert.match(body, new RegExp(`against the live release ${B}'s state, refreshed from the cluster`));
            const lead = body.slice(body.indexOf("**Engine preview**"), body.indexOf("<details>"));
            const rows = lead.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Resource"));
            assert.strictEqual(rows.length, 1, `one change that matters:\n${body}`);
            assert.match(
                rows[0],
                new RegExp(
                    `^\\| Deployment \`${namespace}/pinned-app\` \\| update \\| \`spec\\.template\\.spec\\.containers\\[0\\]\\.image\` \\| \`${digests[B].replace(/[.]/g, "\\.")}\``,
                ),
            );
            assert.doesNotMatch(body, /\| create \|/, "nothing previewed as a create");
            assert.match(body, /<summary>Bookkeeping: \d+ label and annotation change\(s\) on \d+ object\(s\)/);
        } finally {
            runner.remove();
            runnerAt.remove();
        }
    });

    it("the release workflow's pinned up step, run as a CI runner runs it (its own machine, the team's secrets as variables): deploys the tag and records the digest in the store for everyone", async () => {
        const C = "2026-12-05-001";
        const ciAt = newMachine("ci");
        const ci = await ReleaseProject.cloneOf(bob);
        const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-runner-temp-"));
        try {
            const server = fs.readFileSync(path.join(ci.dir, "app", "server.py"), "utf8");
            await ci.release(C, { "app/server.py": server.replace('"pinned-example-team"', '"pinned-example-ci"') });
            const store = localStore(cacheDir(process.env))!;
            const creds = storeCredentials(store.credentialsFile);
            const registry = localRegistry(cacheDir(process.env))!;
            const step = workflowStep("pinned up", RELEASE_WORKFLOW);
            const r = ci.bash(step.run ?? "false", {
                ...ciAt.env,
                PINNED_STATE: "",
                RUNNER_TEMP: runnerTemp,
                RELEASE: C,
                PINNED_REGISTRY: registry.server,
                PINNED_REGISTRY_USER: registry.username,
                PINNED_REGISTRY_PASSWORD: registry.password,
                PINNED_REGISTRY_PULL_USER: registry.pullUsername ?? "",
                PINNED_REGISTRY_PULL_PASSWORD: registry.pullPassword ?? "",
                PINNED_KUBECONFIG: fs.readFileSync(cluster.kubeconfig, "utf8"),
                PULUMI_BACKEND_URL: store.url,
                AWS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID,
                AWS_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY,
                PULUMI_CONFIG_PASSPHRASE: fs.readFileSync(path.join(cacheDir(process.env), "passphrase"), "utf8").trim(),
                PINNED_SIGNING_KEY: "",
                COSIGN_PASSWORD: "",
                KUBECONFIG: "",
            });
            assert.strictEqual(r.status, 0, r.output);
            const digest = String(ci.stackConfig(C)["pinned:imageDigest"]);
            assert.match(digest, /@sha256:[0-9a-f]{64}$/);
            assert.strictEqual(live(), digest);
            assert.match(r.output, new RegExp(`stacks/Pulumi\\.${C}\\.yaml`), "the step shows the stack file it changed");
            // Every teammate sees it in the store, before the stack file comes back by pull request.
            const seen = bob.userShell(`pulumi stack output --stack ${C} imageDigest`, undefined, on(bobAt));
            assert.strictEqual(seen.status, 0, seen.output);
            assert.strictEqual(seen.stdout.trim(), digest);
        } finally {
            ci.userShell(`pulumi stack rm --yes --force --stack ${C} >/dev/null 2>&1 || true`, undefined, on(ciAt));
            ci.remove();
            ciAt.remove();
            fs.rmSync(runnerTemp, { recursive: true, force: true });
        }
    });
});
