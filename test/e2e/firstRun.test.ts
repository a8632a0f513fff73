import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * The README's first command, `pinned release`, on a clone with no release
 * yet: it tags HEAD, deploys the example by digest and says what to try
 * next; its refusals leave no tag behind.
 */
describe("first run: pinned release (real engine, Docker provider, registry, API server)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("first");
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    const today = new Date().toISOString().slice(0, 10);

    before(() => ({ cluster, project, namespace: NAMESPACE } = suite));

    const tags = async () => (await project.git.tags()).all;

    it("refuses a dirty tree before making a tag", async () => {
        fs.appendFileSync(path.join(project.dir, "app", "server.py"), "\n# not committed\n");
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 1, r.output);
        assert.match(r.output, /uncommitted changes \(app\/server\.py\)/);
        assert.deepStrictEqual(await tags(), []);
        await project.git.checkout(["--", "app/server.py"]);
    });

    it("a release that fails removes the tag it made, and says so", async () => {
        const r = project.pinned(["release"], { PINNED_REGISTRY: "127.0.0.1:9", PINNED_REGISTRY_USER: "x", PINNED_REGISTRY_PASSWORD: "y" });
        assert.strictEqual(r.status, 1, r.output);
        assert.match(r.output, new RegExp(`removed the tag ${today}-001 this run made; nothing was released`));
        assert.deepStrictEqual(await tags(), []);
        assert.ok(!fs.existsSync(path.join(project.dir, "stacks", `Pulumi.${today}-001.yaml`)), "no stack file left");
    });

    it("tags HEAD as today's first release, deploys it by digest, records it and says what to try next", async () => {
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        const release = `${today}-001`;
        assert.deepStrictEqual(await tags(), [release]);
        assert.match(r.output, new RegExp(`^pinned: tagged HEAD \\([0-9a-f]{12}\\) as ${release}$`, "m"));
        const digest = String(project.stackConfig(release)["pinned:imageDigest"]);
        assert.match(digest, DIGEST);
        assert.ok(r.output.includes(`pinned: live: ${digest}`), r.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digest);
        assert.match(r.output, /^next:$/m);
        assert.match(r.output, /eval "\$\(npx pinned env shell\)"/);
    });

    it("run again, it redeploys the same release without building or tagging", async () => {
        const release = `${today}-001`;
        const digest = String(project.stackConfig(release)["pinned:imageDigest"]);
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        assert.match(r.output, /recorded digest: no build/);
        assert.doesNotMatch(r.output, /^(tagged|building|pushing) /m);
        assert.deepStrictEqual(await tags(), [release]);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digest);
    });

    it("a HEAD tagged by hand with uncommitted work is refused, as pinned up refuses it, before anything is built", async () => {
        const release = "2026-12-31-001";
        await project.commit("another change", {
            "app/server.py": fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8") + "\n# b\n",
        });
        await project.git.addTag(release);
        fs.appendFileSync(path.join(project.dir, "app", "server.py"), "\n# not committed\n");
        try {
            const r = project.pinned(["release"]);
            assert.strictEqual(r.status, 1, r.output);
            assert.match(r.output, /uncommitted changes \(app\/server\.py\)/);
            assert.doesNotMatch(r.output, /^(building|pushing) /m);
            assert.ok(!fs.existsSync(path.join(project.dir, "stacks", `Pulumi.${release}.yaml`)), "no stack file");
        } finally {
            await project.git.checkout(["--", "app/server.py"]);
        }
    });
});
