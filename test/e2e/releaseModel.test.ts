import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { LocalEnv, registryDigest } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";

/**
 * One stack per release, rollback by selecting an earlier stack: proven on
 * the real engine, registry and API server.
 */
describe("release model (real engine, registry, API server)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("model");
    let env: LocalEnv;
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let REPOSITORY: string;
    let digestA: string;
    let digestB: string;

    before(() => ({ env, cluster, project, namespace: NAMESPACE, repository: REPOSITORY } = suite));

    it("release A: the live Deployment runs A's digest", async () => {
        await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestA = String(project.stackConfig(A)["pinned:imageDigest"]);
        assert.match(digestA, /@sha256:[0-9a-f]{64}$/);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.ok(cluster.rolledOut(NAMESPACE));
    });

    it("release B with a changed app: live runs B's digest, rollout Available", async () => {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        await project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        const up = project.up(B, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestB = String(project.stackConfig(B)["pinned:imageDigest"]);
        assert.notStrictEqual(digestB, digestA);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestB);
        assert.ok(cluster.rolledOut(NAMESPACE));
    });

    it("rollback: selecting A's stack redeploys A's digest, with no build, through A's stale state", async () => {
        const tagBefore = await registryDigest(env, REPOSITORY, A);
        const up = project.up(A);
        assert.strictEqual(up.status, 0, up.output);
        assert.match(up.output, /recorded digest: no build/);
        assert.doesNotMatch(up.output, /^(building|pushing) /m);
        // A's state still said "A runs"; only the refresh made the engine see
        // B in the cluster, so this update is what patched it back.
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.ok(cluster.rolledOut(NAMESPACE));
        assert.ok((project.lastUpdateChanges(A).update ?? 0) >= 1, JSON.stringify(project.lastUpdateChanges(A)));
        assert.strictEqual(await registryDigest(env, REPOSITORY, A), tagBefore, "nothing was pushed");
    });

    it("status: in sync after the rollback", () => {
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 0, status.output);
        assert.match(status.output, new RegExp(`in sync: ${NAMESPACE}/pinned-app runs release ${A}`));
        assert.match(status.output, /^ {2}signed by the release key$/m);
    });

    it("status: a hand-made drift is detected, and the fix it names repairs it", () => {
        cluster.kubectl(["set", "image", "deployment/pinned-app", `app=${digestB}`, "-n", NAMESPACE]);
        const drift = project.pinned(["status"]);
        assert.strictEqual(drift.status, 3, drift.output);
        assert.match(drift.output, /drift:/);
        assert.ok(drift.output.includes(`runs ${digestB}`) && drift.output.includes(`recorded ${digestA}`), drift.output);
        assert.match(drift.output, new RegExp(`fix: pinned up --release ${A}`));

        const fixed = project.up(A);
        assert.strictEqual(fixed.status, 0, fixed.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.strictEqual(project.pinned(["status"]).status, 0);
    });

    it("up of the live release, nothing changed: no engine run; a change to the cluster, the program or the state runs it", () => {
        const updates = () => {
            const r = project.pulumi(["stack", "history", "--json", "--stack", A]);
            assert.strictEqual(r.status, 0, r.output);
            return (JSON.parse(r.output) as unknown[]).length;
        };
        const upA = (engine: boolean, why: string) => {
            const before = updates();
            const up = project.up(A);
            assert.strictEqual(up.status, 0, up.output);
            assert.strictEqual(/engine: not started/.test(up.output), !engine, `${why}\n${up.output}`);
            assert.ok(engine ? updates() > before : updates() === before, `${why}: the stack's history`);
            assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        };
        upA(false, "A is live as its last update (the drift fix) left it");
        cluster.kubectl(["annotate", "deployment/pinned-app", "-n", NAMESPACE, "e2e/touched=yes"]);
        upA(true, "the Deployment was written since");
        upA(false, "the engine's refresh recorded the annotated Deployment");
        const component = path.join(project.dir, "components", "release.ts");
        const source = fs.readFileSync(component, "utf8");
        fs.writeFileSync(component, `${source}// changed\n`);
        try {
            upA(true, "a program source changed");
        } finally {
            fs.writeFileSync(component, source);
        }
        upA(true, "the program source changed back");
        const own = project.pulumi(["up", "--yes", "--skip-preview", "--stack", A]);
        assert.strictEqual(own.status, 0, own.output);
        upA(true, "the user's own pulumi up wrote the stack's state");
        upA(false, "nothing changed since");
    });

    it("releases: both releases with commit and digest, A marked live", () => {
        const listed = project.pinned(["releases", "--json"]);
        assert.strictEqual(listed.status, 0, listed.output);
        const rows = JSON.parse(listed.output) as Array<{
            release: string;
            digest: string;
            live: boolean;
            deployedAt?: string;
            commit: string;
        }>;
        assert.deepStrictEqual(
            rows.map((r) => [r.release, r.digest, r.live]),
            [
                [A, digestA, true],
                [B, digestB, false],
            ],
        );
        assert.ok(rows.every((r) => /^[0-9a-f]{40}$/.test(r.commit) && r.deployedAt && !Number.isNaN(Date.parse(r.deployedAt))));
        const table = project.pinned(["releases"]);
        assert.match(table.output, /^RELEASE\s+COMMIT\s+DIGEST\s+DEPLOYED AT\s+VERIFIED\s+SIGNED\s+LIVE$/m);
        // Both images were built and signed by pinned up with the release key.
        assert.match(table.output, new RegExp(`^${A}\\s.*\\syes\\s+\\*$`, "m"));
        assert.match(table.output, new RegExp(`^${B}\\s.*\\syes$`, "m"));
    });

    it("destroying an old release's stack leaves the live Deployment running", () => {
        const destroyed = project.pulumi(["destroy", "--yes", "--stack", B]);
        assert.strictEqual(destroyed.status, 0, destroyed.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.ok(cluster.rolledOut(NAMESPACE));
        assert.match(cluster.kubectl(["get", "service", "pinned-app", "-n", NAMESPACE, "-o", "name"]), /service\/pinned-app/);
    });

    it("a release whose tag was moved is refused before anything is built or applied", async () => {
        await project.git.tag(["-f", A, B]); // A's tag now points at B's commit
        const up = project.up(A);
        assert.notStrictEqual(up.status, 0);
        assert.match(up.output, /tag was moved/);
        assert.doesNotMatch(up.output, /Updating \(/);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
    });
});
