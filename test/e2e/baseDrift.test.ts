import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

/**
 * The newcomer's case: the recipe pins a base the registry does not hold
 * (Debian's archive moved since it was pinned, so this machine's mirror made
 * another). The release is refused before a tag, a stack or an engine
 * exists, with both digests and the re-pin command; `pinned base update
 * --commit` re-pins it, and the release then goes through.
 */
describe("a drifted base: refused before the engine, re-pinned by pinned base update (real registry, engine, API server)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("drift");
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let mirrorDigest: string;
    const gone = `sha256:${crypto.randomBytes(32).toString("hex")}`;
    const dockerfile = () => fs.readFileSync(path.join(project.dir, "app", "Dockerfile"), "utf8");

    before(async () => {
        ({ cluster, project, namespace: NAMESPACE } = suite);
        mirrorDigest = suite.env.baseRef.slice(suite.env.baseRef.indexOf("@") + 1);
        // Pinned to a build of the base that this registry never held.
        await project.commit("pin a base the registry lacks", { "app/Dockerfile": dockerfile().replace(mirrorDigest, gone) });
    });

    it("pinned release refuses before tagging: the pinned digest, the registry's, its Debian version, and the re-pin command", async () => {
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 1, r.output);
        const line =
            dockerfile()
                .split("\n")
                .findIndex((l) => l.startsWith("FROM ")) + 1;
        assert.match(
            r.output,
            new RegExp(
                `app/Dockerfile:${line} pins its base 127\\.0\\.0\\.1:\\d+/pinned/python:3\\.11\\.2-bookworm@${gone.slice(0, 19)}…, ` +
                    "which registry 127\\.0\\.0\\.1:\\d+ does not hold",
            ),
        );
        assert.match(
            r.output,
            new RegExp(`registry: {3}${mirrorDigest.slice(0, 19)}… under :3\\.11\\.2-bookworm: Debian 12\\.\\d+, packages sha256:`),
        );
        assert.match(r.output, /fix: re-pin the recipe to the base the registry holds: npx pinned base update --commit/);
        assert.doesNotMatch(r.output, /building|not found/);
        assert.deepStrictEqual((await project.git.tags()).all, [], "no tag left");
        assert.deepStrictEqual(fs.readdirSync(path.join(project.dir, "stacks")), [], "no stack file");
        assert.ok(!fs.existsSync(path.join(project.dir, ".pulumi", "stacks")), "no stack in the backend: the engine never ran");
    });

    it("pinned up of a tagged release is refused the same way, and leaves no stack behind", async () => {
        await project.git.addTag("2026-12-02-901");
        try {
            const r = project.up("2026-12-02-901");
            assert.strictEqual(r.status, 1, r.output);
            assert.match(r.output, /which registry 127\.0\.0\.1:\d+ does not hold/);
            assert.match(r.output, /npx pinned base update --commit/);
            assert.ok(!fs.existsSync(path.join(project.dir, "stacks", "Pulumi.2026-12-02-901.yaml")), "no stack file");
            assert.strictEqual(project.pulumi(["stack", "ls", "--json"]).output.includes("2026-12-02-901"), false, "no stack");
        } finally {
            await project.git.tag(["-d", "2026-12-02-901"]);
        }
    });

    it("pinned base update --commit re-pins the FROM line to the registry's digest, commits the recipe alone, and the release then deploys", async () => {
        const before = (await project.git.revparse(["HEAD"])).trim();
        const u = project.pinned(["base", "update", "--commit"]);
        assert.strictEqual(u.status, 0, u.output);
        assert.match(
            u.output,
            new RegExp(
                `app/Dockerfile:\\d+ 127\\.0\\.0\\.1:\\d+/pinned/python:3\\.11\\.2-bookworm ${gone.slice(0, 19)}… → ${mirrorDigest.slice(0, 19)}…`,
            ),
        );
        const text = dockerfile();
        assert.ok(text.includes(`/pinned/python:3.11.2-bookworm@${mirrorDigest}\n`), text);
        assert.match(text, /^# base: Debian 12\.\d+, packages sha256:[0-9a-f]{12}… \(\d+ packages\)\nFROM /m);
        assert.strictEqual((await project.git.raw(["rev-parse", "HEAD~1"])).trim(), before, "one new commit");
        assert.deepStrictEqual((await project.git.raw(["show", "--name-only", "--format=", "HEAD"])).trim(), "app/Dockerfile");
        assert.match(
            await project.git.raw(["log", "-1", "--format=%s"]),
            /^Re-pin the base of app\/Dockerfile to the registry's build \(Debian 12\.\d+\)/,
        );
        assert.strictEqual((await project.git.status()).isClean(), true);

        // Nothing left to re-pin: a second run changes nothing and says so.
        const repinned = (await project.git.revparse(["HEAD"])).trim();
        const again = project.pinned(["base", "update", "--commit"]);
        assert.strictEqual(again.status, 0, again.output);
        assert.match(again.output, /nothing to change/);
        assert.strictEqual((await project.git.revparse(["HEAD"])).trim(), repinned, "no second commit");
        assert.strictEqual(dockerfile(), text);

        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        const release = (await project.git.tags()).all[0];
        const digest = String(project.stackConfig(release)["pinned:imageDigest"]);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digest);
    });
});
