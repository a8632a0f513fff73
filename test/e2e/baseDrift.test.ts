import * as assert from "assert";
import * as crypto from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { docker, registryDigest } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

/**
 * The newcomer's case: the recipe pins a base the registry does not hold
 * (Debian's archive moved since it was pinned, so the mirror made another
 * base under the same tag). The release is refused before a tag, a stack or
 * an engine exists, with both digests and the re-pin command; `pinned base
 * update --commit` re-pins it, the preview shows the base change, and the
 * release then goes through.
 *
 * The suite's own base repository plays the mirror: first the machine's
 * base, then a newer build of it (one more label, as a rebuild on a later
 * archive state would carry) pushed under the same tag.
 */
describe("a drifted base: refused before the engine, re-pinned by pinned base update (real registry, engine, API server)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("drift");
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let baseRepo: string;
    let first: string;
    let newer: string;
    const gone = `sha256:${crypto.randomBytes(32).toString("hex")}`;
    const recipe = () => path.join(project.dir, "app", "Dockerfile");
    const dockerfile = () => fs.readFileSync(recipe(), "utf8");
    const pin = (digest: string) => dockerfile().replace(/^FROM \S+$/m, `FROM ${baseRepo}:3.11.2-bookworm@${digest}`);

    before(async () => {
        ({ cluster, project, namespace: NAMESPACE } = suite);
        const { env } = suite;
        baseRepo = `${env.registry.server}/${suite.repository}-base`;
        // The mirror's base as it was when the recipe was pinned: released first.
        docker(env, ["tag", env.baseRef, `${baseRepo}:3.11.2-bookworm`]);
        docker(env, ["push", "--quiet", `${baseRepo}:3.11.2-bookworm`]);
        first = String(await registryDigest(env, `${suite.repository}-base`, "3.11.2-bookworm"));
        await project.commit("base from the suite's mirror", { "app/Dockerfile": pin(first) });
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        // The mirror makes a newer base under the same tag; the recipe pins one it never held.
        execFileSync("docker", ["build", "--quiet", "-t", `${baseRepo}:3.11.2-bookworm`, "-"], {
            input: `FROM ${baseRepo}:3.11.2-bookworm@${first}\nLABEL pinned.base.debian-version=12.99\n`,
            stdio: ["pipe", "pipe", "pipe"],
            env: env.env,
        });
        docker(env, ["push", "--quiet", `${baseRepo}:3.11.2-bookworm`]);
        newer = String(await registryDigest(env, `${suite.repository}-base`, "3.11.2-bookworm"));
        assert.notStrictEqual(newer, first);
        await project.commit("pin a base the registry lacks", { "app/Dockerfile": pin(gone) });
    });

    it("pinned release refuses before tagging: the pinned digest, the registry's under the tag, its Debian version, and the re-pin command", async () => {
        const tagsBefore = (await project.git.tags()).all;
        const stacksBefore = fs.readdirSync(path.join(project.dir, "stacks"));
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 1, r.output);
        const line = dockerfile()
            .split("\n")
            .findIndex((l) => l.startsWith("FROM "));
        assert.ok(
            r.output.includes(
                `app/Dockerfile:${line + 1} pins its base ${baseRepo}:3.11.2-bookworm@${gone.slice(0, 19)}…, ` +
                    `which registry ${suite.env.registry.server} does not hold.`,
            ),
            r.output,
        );
        assert.ok(r.output.includes(`registry:   ${newer.slice(0, 19)}… under :3.11.2-bookworm: Debian 12.99`), r.output);
        assert.match(r.output, /fix: re-pin the recipe to the base the registry holds: npx pinned base update --commit/);
        assert.doesNotMatch(r.output, /building|not found/);
        assert.deepStrictEqual((await project.git.tags()).all, tagsBefore, "no tag made");
        assert.deepStrictEqual(fs.readdirSync(path.join(project.dir, "stacks")), stacksBefore, "no stack file made");
    });

    it("pinned up of a release tagged by hand is refused the same way, and leaves no stack behind", async () => {
        const release = "2026-12-31-901";
        await project.git.addTag(release);
        try {
            const r = project.up(release);
            assert.strictEqual(r.status, 1, r.output);
            assert.match(r.output, /which registry 127\.0\.0\.1:\d+ does not hold/);
            assert.match(r.output, /npx pinned base update --commit/);
            assert.doesNotMatch(r.output, /building|not found/);
            assert.ok(!fs.existsSync(path.join(project.dir, "stacks", `Pulumi.${release}.yaml`)), "no stack file");
            assert.ok(!project.pulumi(["stack", "ls", "--json"]).output.includes(release), "no stack");
        } finally {
            await project.git.tag(["-d", release]);
        }
    });

    it("pinned base update --commit re-pins to the registry's digest and commits the recipe alone; the preview shows the base change; the release deploys", async () => {
        const head = (await project.git.revparse(["HEAD"])).trim();
        const u = project.pinned(["base", "update", "--commit"]);
        assert.strictEqual(u.status, 0, u.output);
        assert.ok(
            u.output.includes(
                `app/Dockerfile:${
                    dockerfile()
                        .split("\n")
                        .findIndex((l) => l.startsWith("FROM ")) + 1
                } ${baseRepo}:3.11.2-bookworm`,
            ),
            u.output,
        );
        assert.ok(u.output.includes(`${gone.slice(0, 19)}… → ${newer.slice(0, 19)}… (Debian 12.99`), u.output);
        const text = dockerfile();
        assert.ok(text.includes(`FROM ${baseRepo}:3.11.2-bookworm@${newer}\n`), text);
        assert.match(text, /^# base: Debian 12\.99, packages sha256:[0-9a-f]{12}… \(\d+ packages\)\nFROM /m);
        assert.strictEqual((await project.git.raw(["rev-parse", "HEAD~1"])).trim(), head, "one new commit");
        assert.strictEqual((await project.git.raw(["show", "--name-only", "--format=", "HEAD"])).trim(), "app/Dockerfile");
        assert.match(
            await project.git.raw(["log", "-1", "--format=%s"]),
            /^Re-pin the base of app\/Dockerfile to the registry's build \(Debian 12\.99\)/,
        );
        assert.ok((await project.git.status()).isClean());

        // Nothing left to re-pin: a second run changes nothing and says so.
        const repinned = (await project.git.revparse(["HEAD"])).trim();
        const again = project.pinned(["base", "update", "--commit"]);
        assert.strictEqual(again.status, 0, again.output);
        assert.match(again.output, /nothing to change/);
        assert.strictEqual((await project.git.revparse(["HEAD"])).trim(), repinned, "no second commit");
        assert.strictEqual(dockerfile(), text);

        // What a pull request's comment shows: the live image's base, and the new one.
        const p = project.pinned(["preview", "--markdown"]);
        assert.strictEqual(p.status, 3, p.output);
        assert.ok(
            p.stdout.includes(`| Base before | \`${baseRepo}:3.11.2-bookworm@${first}\` (🔁 this change moves the base) |`),
            p.stdout,
        );
        assert.ok(p.stdout.includes(`\`${baseRepo}:3.11.2-bookworm@${newer}\``), p.stdout);

        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        const release = (await project.git.tags()).all.sort().pop() ?? "";
        assert.strictEqual(cluster.liveImage(NAMESPACE), String(project.stackConfig(release)["pinned:imageDigest"]));
    });
});
