import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { docker, LocalEnv, registryDigest, requireLocalEnv } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const REPOSITORY = `pinned/e2e-image-${process.pid}`;

/**
 * The image side of a release, against the real engine, Docker and
 * registry: no cluster yet, so manifests are rendered to YAML.
 */
describe("image pipeline (real engine, Docker, registry)", function () {
    this.timeout(20 * 60 * 1000);
    let env: LocalEnv;
    let project: ReleaseProject;
    let commit: string;
    let digestRef: string;

    before(async () => {
        env = requireLocalEnv();
        project = await ReleaseProject.create(env, REPOSITORY, { render: true });
        commit = await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestRef = String(project.stackConfig(A)["pinned:imageDigest"]);
    });
    after(() => project?.remove());

    it("records release, commit and digest in the stack file", () => {
        const config = project.stackConfig(A);
        assert.strictEqual(config["pinned:commit"], commit);
        assert.match(digestRef, new RegExp(`^${env.registry.server}/${REPOSITORY}@sha256:[0-9a-f]{64}$`));
    });

    it("the registry's manifest digest equals the stack output and the rendered Deployment's image", async () => {
        const pushed = await registryDigest(env, REPOSITORY, A);
        assert.ok(pushed, "the release tag exists in the registry");
        assert.strictEqual(`${env.registry.server}/${REPOSITORY}@${pushed}`, digestRef);
        const out = JSON.parse(project.pulumi(["stack", "output", "--json", "--stack", A]).output) as Record<string, string>;
        assert.strictEqual(out.imageDigest, digestRef);
        assert.strictEqual(out.commit, commit);
        assert.strictEqual(project.renderedDeployment(A)?.spec.template.spec.containers[0].image, digestRef);
    });

    it("the image carries git_hash and the OCI labels; run by digest it serves the app", () => {
        docker(env, ["pull", "--quiet", digestRef]);
        const labels = JSON.parse(docker(env, ["inspect", "--format", "{{json .Config.Labels}}", digestRef])) as Record<string, string>;
        const commitTime = execFileSync("git", ["show", "-s", "--format=%cI", commit], { cwd: project.dir, encoding: "utf8" }).trim();
        assert.strictEqual(labels.git_hash, commit);
        assert.strictEqual(labels["org.opencontainers.image.revision"], commit);
        assert.strictEqual(labels["org.opencontainers.image.version"], A);
        assert.strictEqual(labels["org.opencontainers.image.created"], new Date(commitTime).toISOString());

        const container = docker(env, ["run", "--detach", "--publish", "127.0.0.1::8080", digestRef]).trim();
        try {
            const port = docker(env, ["port", container, "8080/tcp"]).trim().split(":").pop();
            let body = "";
            for (let i = 0; i < 50 && !body; i++) {
                try {
                    body = execFileSync("curl", ["-sf", `http://127.0.0.1:${port}/`], { encoding: "utf8" });
                } catch {
                    execFileSync("sleep", ["0.2"]);
                }
            }
            assert.deepStrictEqual(JSON.parse(body), { service: "pinned-example", git_hash: commit, python: "3.11.2" });
        } finally {
            docker(env, ["rm", "--force", container]);
        }
    });

    it("a second up with nothing changed builds nothing and pushes nothing", async () => {
        const before = await registryDigest(env, REPOSITORY, A);
        const again = project.up(A, { atHead: true });
        assert.strictEqual(again.status, 0, again.output);
        const changes = project.lastUpdateChanges(A);
        assert.deepStrictEqual(
            Object.keys(changes).filter((k) => k !== "same"),
            [],
            JSON.stringify(changes),
        );
        assert.doesNotMatch(again.output, /^(building|pushing) /m);
        assert.strictEqual(await registryDigest(env, REPOSITORY, A), before);
        assert.strictEqual(project.stackConfig(A)["pinned:imageDigest"], digestRef);
    });

    it("a stack that records a digest deploys it without building", async () => {
        const B = "2026-11-28-001";
        await project.release(B, { "app/server.py": "print('never built')\n" });
        // A hand-written descriptor: release B ships A's bytes.
        fs.writeFileSync(
            `${project.dir}/stacks/Pulumi.${B}.yaml`,
            `config:\n  pinned:commit: ${(await project.git.revparse([B])).trim()}\n  pinned:imageDigest: ${digestRef}\n`,
        );
        const up = project.up(B);
        assert.strictEqual(up.status, 0, up.output);
        assert.strictEqual(project.renderedDeployment(B)?.spec.template.spec.containers[0].image, digestRef);
        assert.strictEqual(await registryDigest(env, REPOSITORY, B), undefined, "no image was pushed for B");
        const resources = JSON.parse(project.pulumi(["stack", "export", "--stack", B]).output).deployment.resources as Array<{
            type: string;
        }>;
        assert.ok(!resources.some((r) => r.type.startsWith("docker:")), "no build resource in B's state");
    });

    it("a recorded digest missing from the registry fails before any Kubernetes change", async () => {
        const C = "2026-11-29-001";
        await project.release(C);
        const missing = `${env.registry.server}/${REPOSITORY}@sha256:${"0".repeat(64)}`;
        fs.writeFileSync(
            `${project.dir}/stacks/Pulumi.${C}.yaml`,
            `config:\n  pinned:commit: ${(await project.git.revparse([C])).trim()}\n  pinned:imageDigest: ${missing}\n`,
        );
        const up = project.up(C);
        assert.notStrictEqual(up.status, 0);
        assert.match(up.output, /registry no longer has it/);
        assert.doesNotMatch(up.output, /engine:/, "refused before the engine ran");
        assert.strictEqual(project.renderedDeployment(C), undefined, "nothing rendered");
        const exported = project.pulumi(["stack", "export", "--stack", C]);
        const resources = exported.status === 0 ? (JSON.parse(exported.output).deployment.resources ?? []) : [];
        assert.ok(!resources.some((r: { type: string }) => r.type.startsWith("kubernetes:apps")), "no Deployment in state");
    });

    it("the program refuses it too, when the engine is driven directly with pulumi up", async () => {
        const D = "2026-11-30-001";
        await project.release(D);
        const missing = `${env.registry.server}/${REPOSITORY}@sha256:${"0".repeat(64)}`;
        fs.writeFileSync(
            `${project.dir}/stacks/Pulumi.${D}.yaml`,
            `config:\n  pinned:commit: ${(await project.git.revparse([D])).trim()}\n  pinned:imageDigest: ${missing}\n` +
                `  pinned:registry: ${env.registry.server}\n  pinned:registryUser: ${env.registry.username}\n  pinned:registryPassword: ${env.registry.password}\n` +
                `  pinned:renderYamlTo: .pinned/rendered/${D}\n`,
        );
        assert.strictEqual(project.pulumi(["stack", "init", D]).status, 0);
        const up = project.pulumi(["up", "--yes", "--skip-preview", "--stack", D]);
        assert.notStrictEqual(up.status, 0);
        assert.match(up.output, /registry no longer has it/);
        assert.strictEqual(project.renderedDeployment(D), undefined, "nothing rendered");
        const resources = JSON.parse(project.pulumi(["stack", "export", "--stack", D]).output).deployment.resources ?? [];
        assert.ok(!resources.some((r: { type: string }) => r.type.startsWith("kubernetes:")), "no Kubernetes resource in state");
    });
});
