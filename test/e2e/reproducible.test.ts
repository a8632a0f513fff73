import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { simpleGit } from "simple-git";
import { localBuilder } from "../../core/builder";
import { readGitSource } from "../../core/git/gitSource";
import { recipeBuild } from "../../core/recipe";
import { buildReproducibly } from "../../pipeline/workflow/reproducibleBuild";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { docker, LocalEnv, registryDigest } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";
import { ImageSettings } from "../../core/settings";

/** The settings a buildah build is handed: the defaults, with this app and registry. */
function imageSettings(appDir: string, env: LocalEnv): ImageSettings {
    return { appDir, strictPolicy: true, builder: "buildah", repository: "pinned/app", registry: env.registry.server };
}

/** The config digest of `repository@digest`, as the registry serves the manifest. */
async function configDigest(env: LocalEnv, repository: string, digest: string): Promise<string> {
    const auth = Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64");
    const res = await fetch(`http://${env.registry.server}/v2/${repository}/manifests/${digest}`, {
        headers: { authorization: `Basic ${auth}`, accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    return ((await res.json()) as { config: { digest: string } }).config.digest;
}

/**
 * Bit-identical images and `pinned verify`, on the real registry and
 * cluster, with the example's recipe: RUN steps and a Python package pinned
 * by version and hash, installed from the package mirror.
 */
describe("reproducible images and pinned verify (real buildah, registry, engine, API server)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("repro");
    let env: LocalEnv;
    let project: ReleaseProject;
    let cluster: Cluster;
    let NAMESPACE: string;
    const tmp: string[] = [];
    const tempDir = (name: string) => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), `pinned-${name}-`));
        tmp.push(d);
        return d;
    };
    after(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const today = new Date().toISOString().slice(0, 10);
    const dockerfile = () => fs.readFileSync(path.join(project.dir, "app", "Dockerfile"), "utf8");

    before(() => ({ env, project, cluster, namespace: NAMESPACE } = suite));

    it("the example's recipe has RUN steps and a pip install pinned by version and hash", () => {
        assert.match(dockerfile(), /^RUN python3 -m pip install .*--require-hashes/m);
        assert.match(
            fs.readFileSync(path.join(project.dir, "app", "requirements.txt"), "utf8"),
            /^idna==3\.10 --hash=sha256:[0-9a-f]{64}$/m,
        );
    });

    it("two builds of one commit from two clones, each with its own empty buildah storage, give the same manifest and config digests", async () => {
        const builder = localBuilder(process.env);
        assert.ok(builder, "buildah is installed (pinned env up builder)");
        const digests: string[] = [];
        for (const i of [1, 2]) {
            const clone = path.join(tempDir(`clone${i}`), "repo");
            await simpleGit().clone(project.dir, clone);
            const source = await readGitSource(clone, process.env);
            const recipe = recipeBuild({
                appDir: path.join(clone, "app"),
                release: "repro",
                commit: source.commit,
                commitTime: source.commitTime,
                sourceUrl: source.remoteUrl,
                builder: builder.label,
            });
            const storage = tempDir(`storage${i}`);
            digests.push(
                await buildReproducibly(
                    {
                        repoRoot: clone,
                        commit: source.commit,
                        commitTime: source.commitTime,
                        recipe,
                        imageName: `${env.registry.server}/${suite.repository}:clean-${i}`,
                        registry: env.registry,
                        settings: imageSettings(path.join(clone, "app"), env),
                        storage: { root: path.join(storage, "root"), runRoot: path.join(storage, "run") },
                        logFile: path.join(storage, "build.log"),
                        env: process.env,
                    },
                    () => undefined,
                ),
            );
            // Both clones' remote is the project: the source label is the same.
            assert.strictEqual(source.remoteUrl, project.dir);
        }
        assert.match(digests[0], /^sha256:[0-9a-f]{64}$/);
        assert.strictEqual(digests[1], digests[0], "same manifest digest");
        assert.strictEqual(await configDigest(env, suite.repository, digests[1]), await configDigest(env, suite.repository, digests[0]));
        // buildah's own storage roots are root-owned overlay dirs: removed with the temp dirs in after().
    });

    it("pinned verify of a fresh release rebuilds it bit for bit: exit 0, and pinned releases shows it verified", async () => {
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        assert.match(r.output, /building .* with buildah \S+ \(reproducible: commit time /);
        const release = `${today}-001`;
        const recorded = String(project.stackConfig(release)["pinned:imageDigest"]);
        assert.strictEqual(cluster.liveImage(NAMESPACE), recorded);
        const v = project.pinned(["verify", release]);
        assert.strictEqual(v.status, 0, v.output);
        assert.ok(v.output.includes(`verified: ${release} rebuilds bit for bit from `), v.output);
        assert.ok(v.output.includes(recorded), v.output);
        assert.strictEqual(await registryDigest(env, suite.repository, `verify-${release}`), recorded.split("@")[1]);
        const rows = project.pinned(["releases"]);
        assert.match(rows.output, new RegExp(`^${release}\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+yes\\s+\\*$`, "m"));
    });

    it("pinned verify of a release whose recorded image was built on another base: exit 3, the differences named", async () => {
        const release = `${today}-001`;
        const stackFile = path.join(project.dir, "stacks", `Pulumi.${release}.yaml`);
        const before = fs.readFileSync(stackFile, "utf8");
        const recorded = String(project.stackConfig(release)["pinned:imageDigest"]);
        // The same recipe, built on a base with one more layer and label, pushed to the release's repository.
        const other = `${env.registry.server}/${suite.repository}-otherbase:1`;
        execFileSync("docker", ["build", "--quiet", "-t", other, "-"], {
            input: `FROM ${env.baseRef}\nRUN echo elsewhere > /etc/elsewhere\nLABEL rebuilt=elsewhere\n`,
            env: env.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        docker(env, ["push", "--quiet", other]);
        const otherDigest = String(await registryDigest(env, `${suite.repository}-otherbase`, "1"));
        const scratch = path.join(tempDir("scratch"), "repo");
        await simpleGit().clone(project.dir, scratch);
        const file = path.join(scratch, "app", "Dockerfile");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^FROM \S+$/m, `FROM ${other}@${otherDigest}`));
        const git = simpleGit({ baseDir: scratch });
        await git.addConfig("user.name", "e2e").addConfig("user.email", "e2e@pinned.invalid");
        await git.commit("another base", ["-a"]);
        const source = await readGitSource(scratch, process.env);
        const builder = localBuilder(process.env);
        const built = await buildReproducibly(
            {
                repoRoot: scratch,
                commit: source.commit,
                commitTime: source.commitTime,
                recipe: recipeBuild({
                    appDir: path.join(scratch, "app"),
                    release,
                    commit: source.commit,
                    commitTime: source.commitTime,
                    builder: builder?.label,
                }),
                imageName: `${env.registry.server}/${suite.repository}:elsewhere`,
                registry: env.registry,
                settings: imageSettings(path.join(scratch, "app"), env),
                logFile: path.join(tempDir("log"), "build.log"),
                env: process.env,
            },
            () => undefined,
        );
        const substitute = `${recorded.split("@")[0]}@${built}`;
        fs.writeFileSync(stackFile, before.replace(recorded, substitute));
        try {
            const v = project.pinned(["verify", release]);
            assert.strictEqual(v.status, 3, v.output);
            assert.ok(v.output.includes(`different: ${release} recorded ${substitute}`), v.output);
            // The config says which base and which layers; the layers say which files.
            assert.match(v.output, /config\.Labels\.rebuilt/, v.output);
            assert.match(v.output, /org\.opencontainers\.image\.base\.(name|digest)/, v.output);
            // The other base's extra layer (etc/elsewhere) is where the app's files are in the rebuild.
            assert.match(v.output, /^layers: 3 before, 2 after$/m, v.output);
            assert.match(v.output, /^layer 2 of 3 \(\S+ → \S+\): \d+ added, 1 removed, \d+ changed$/m, v.output);
            assert.match(v.output, /^layer 3 of 3 \(only before: \S+\): \d+ removed$/m, v.output);
            const rows = project.pinned(["releases"]);
            assert.match(rows.output, new RegExp(`^${release}\\s+\\S+\\s+\\S+\\s+\\S+\\s+-\\s+`, "m"), "not shown as verified");
        } finally {
            fs.writeFileSync(stackFile, before);
        }
    });

    it("pinned verify exits 1 naming the missing input: a moved tag, then a base the registry lost", async () => {
        const release = `${today}-001`;
        const commit = String(project.stackConfig(release)["pinned:commit"]);
        await project.commit("later");
        await project.git.raw(["tag", "-f", release]);
        try {
            const moved = project.pinned(["verify", release]);
            assert.strictEqual(moved.status, 1, moved.output);
            assert.match(
                moved.output,
                new RegExp(`tag ${release} now points at [0-9a-f]{12}, but the release was recorded at ${commit.slice(0, 12)}`),
            );
        } finally {
            await project.git.raw(["tag", "-f", release, commit]);
        }

        // A release on a base of its own, which is then deleted from the registry.
        const baseRepo = `${suite.repository}-gone`;
        const base = `${env.registry.server}/${baseRepo}:1`;
        execFileSync("docker", ["build", "--quiet", "-t", base, "-"], {
            input: `FROM ${env.baseRef}\nLABEL unique=${crypto.randomBytes(8).toString("hex")}\n`,
            env: env.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        docker(env, ["push", "--quiet", base]);
        const baseDigest = String(await registryDigest(env, baseRepo, "1"));
        await project.commit("a base of its own", { "app/Dockerfile": dockerfile().replace(/^FROM \S+$/m, `FROM ${base}@${baseDigest}`) });
        const r = project.pinned(["release"]);
        assert.strictEqual(r.status, 0, r.output);
        const second = `${today}-002`;
        const auth = Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64");
        const del = await fetch(`http://${env.registry.server}/v2/${baseRepo}/manifests/${baseDigest}`, {
            method: "DELETE",
            headers: { authorization: `Basic ${auth}` },
        });
        assert.strictEqual(del.status, 202);
        const gone = project.pinned(["verify", second]);
        assert.strictEqual(gone.status, 1, gone.output);
        assert.ok(
            gone.output.includes(`pins its base ${base}@${baseDigest.slice(0, 19)}…, which registry ${env.registry.server} does not hold`),
            gone.output,
        );
        assert.match(gone.output, /fix: push the pinned base back to the registry/);
    });
});
