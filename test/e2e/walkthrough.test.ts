import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { workflowStep } from "../support/workflow";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { LocalEnv, registryDigest } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";
const DIGEST = /@sha256:[0-9a-f]{64}/;

/**
 * The README's walkthrough, step by step, on the real engine, registry and
 * API server: tag, up, change the app, preview --markdown, second release,
 * releases, rollback, status.
 */
describe("README walkthrough (real engine, registry, API server)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("walk");
    let env: LocalEnv;
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let REPOSITORY: string;
    let digestA: string;
    let previewed: string;

    before(() => ({ env, cluster, project, namespace: NAMESPACE, repository: REPOSITORY } = suite));

    it("1. git tag + pinned up: builds, deploys by digest, shows progress as plain lines", async () => {
        await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestA = String(project.stackConfig(A)["pinned:imageDigest"]);
        assert.match(digestA, DIGEST);
        assert.ok(up.output.includes(`live: ${digestA}`), up.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        // CI=true: steps as plain lines, no spinner, no colour.
        assert.match(
            up.output,
            /^building 127\.0\.0\.1:5000\/pinned\/e2e-walk-\d+:2026-11-27-001 with buildah \S+ \(reproducible: commit time \S+\) …$/m,
        );
        assert.match(up.output, /^✓ building \S+ with buildah \S+ \(reproducible: commit time \S+\) \(\d+s\)$/m);
        assert.match(up.output, /^✓ pushing \S+ \(\d+s\): sha256:[0-9a-f]{64}$/m);
        assert.match(up.output, /^✓ rolling out Deployment pinned-app \(\d+s\)$/m);
        assert.doesNotMatch(up.output, /\r|\u001b\[/);
    });

    it("2. change the app; pinned preview --markdown shows the engine's Deployment update, live digest before, built digest after", async () => {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        const commit = await project.commit("say hello differently", {
            "app/server.py": server.replace('"pinned-example"', '"pinned-example-2"'),
        });
        const preview = project.pinned(["preview", "--markdown"]);
        assert.strictEqual(preview.status, 3, preview.output); // 3: the image changes
        const body = preview.stdout;
        assert.match(body, /^<!-- pinned-preview -->$/m);
        const before = /^\| Before \| `([^`]+)`/m.exec(body)?.[1];
        const after = /^\| After \| `([^`]+)`/m.exec(body)?.[1];
        assert.strictEqual(before, digestA, body);
        assert.match(after ?? "", DIGEST, body);
        assert.notStrictEqual(after, digestA);
        previewed = after as string;
        // The engine's preview of the next release's stack, against the live release's state.
        assert.match(
            body,
            new RegExp(
                `\\*\\*Engine preview\\*\\* of stack \`\\d{4}-\\d{2}-\\d{2}-\\d{3}\`, against the live release ${A}'s state, refreshed from the cluster:`,
            ),
        );
        assert.ok(body.includes(`| \`spec.template.spec.containers[0].image\` | \`${digestA}\` | \`${previewed}\` |`), body);
        assert.ok(body.includes(`| Commit | \`${commit}\` |`), body);
        assert.match(body, /\| Policy \| ✅ no findings \|/);
        assert.match(body, /\| Base image \| `[^`]+@sha256:[0-9a-f]{64}` \|/);
        // The digest after is real: the registry holds it under the preview's tag.
        const tag = `preview-${commit.slice(0, 12)}`;
        assert.strictEqual(await registryDigest(env, `${REPOSITORY}-preview`, tag), previewed.slice(previewed.indexOf("@") + 1));
        // Nothing was deployed or recorded by the preview.
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.deepStrictEqual(fs.readdirSync(path.join(project.dir, "stacks")), [`Pulumi.${A}.yaml`]);
    });

    it("2b. the pull-request workflow's preview step, run as CI runs it, writes the comment body and passes", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-ci-"));
        const output = path.join(out, "github-output");
        // Unset repository variables and secrets reach the step as empty strings.
        const empty = Object.fromEntries(Object.keys(workflowStep("pinned preview").env ?? {}).map((k) => [k, ""]));
        const step = project.bash(workflowStep("pinned preview").run ?? "false", { ...empty, GITHUB_OUTPUT: output, RUNNER_TEMP: out });
        assert.strictEqual(step.status, 0, step.output);
        assert.strictEqual(fs.readFileSync(output, "utf8"), "exit-code=3\n");
        const body = fs.readFileSync(path.join(out, "pinned-preview.md"), "utf8");
        assert.match(body, /^<!-- pinned-preview -->\n/);
        assert.ok(body.includes(`| Before | \`${digestA}\``), body);
        fs.rmSync(out, { recursive: true });
    });

    it("2c. a preview of uncommitted work is refused, and says so in the comment body too", () => {
        fs.appendFileSync(path.join(project.dir, "app", "server.py"), "\n# not committed\n");
        const refused = project.pinned(["preview", "--markdown"]);
        assert.strictEqual(refused.status, 1, refused.output);
        assert.match(refused.stdout, /^<!-- pinned-preview -->\n### 🔴 Pinned preview failed/);
        assert.match(refused.stdout, /uncommitted changes \(app\/server\.py\)/);
        assert.match(refused.output, /fix: commit or stash them/);
        spawnSync("git", ["checkout", "--", "app/server.py"], { cwd: project.dir });
    });

    it("3. second release: tag, preview shows the digest pinned up then ships, unchanged; preview of B then says no change", async () => {
        await project.git.addTag(B);
        const preview = project.pinned(["preview"]);
        assert.strictEqual(preview.status, 3, preview.output);
        const shown =
            / {2}after {3}(\S+) \(built and pushed by this preview in \d+s; pinned up rebuilds it bit for bit: the release ships this sha256\)/.exec(
                preview.stdout,
            )?.[1];
        assert.match(shown ?? "", DIGEST, preview.stdout);
        assert.ok(shown?.startsWith(`${env.registry.server}/${REPOSITORY}-preview@`), "a preview pushes to its own repository");

        const up = project.up(B, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        const digestB = String(project.stackConfig(B)["pinned:imageDigest"]);
        // Never the preview's image itself (it is not signed by the release
        // key): pinned up builds its own, bit for bit the same.
        assert.strictEqual(
            digestB,
            `${env.registry.server}/${REPOSITORY}@${shown?.split("@")[1]}`,
            "pinned up ships the sha256 the preview showed",
        );
        assert.match(up.output, /signing \S+ \(signature, SBOM, provenance\)/);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestB);

        const again = project.pinned(["preview"]);
        assert.strictEqual(again.status, 0, again.output); // 0: nothing would change
        assert.match(again.stdout, /^no change: nothing would change$/m);
        assert.ok(again.stdout.includes(`recorded for ${B}: no build`), again.stdout);
    });

    it("4. pinned releases lists both, B live", () => {
        const table = project.pinned(["releases"]);
        assert.strictEqual(table.status, 0, table.output);
        // Not verified (pinned verify did not run); signed by the release key, as pinned up signs.
        assert.match(table.output, new RegExp(`^${A}\\s+[0-9a-f]{12}\\s+sha256:[0-9a-f]{12}\\s+\\S+\\s+-\\s+yes$`, "m"));
        assert.match(table.output, new RegExp(`^${B}\\s.*\\syes\\s+\\*$`, "m"));
    });

    it("5. pinned rollback goes back to the release before the live one, with no build, and checks the rollout", () => {
        const rollback = project.pinned(["rollback"]);
        assert.strictEqual(rollback.status, 0, rollback.output);
        assert.match(rollback.output, new RegExp(`rolling back ${NAMESPACE}/pinned-app: ${B} → ${A}`));
        assert.match(rollback.output, /recorded digest: no build/);
        assert.doesNotMatch(rollback.output, /^(building|pushing|looking for) /m);
        assert.match(rollback.output, /✓ checking the rollout of .*: live runs the recorded digest/);
        assert.ok(rollback.output.includes(`rolled back to ${A}; live: ${digestA}`), rollback.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.ok(cluster.rolledOut(NAMESPACE));
    });

    it("6. pinned status is clean after the rollback; releases marks A live", () => {
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 0, status.output);
        assert.match(status.output, new RegExp(`in sync: ${NAMESPACE}/pinned-app runs release ${A}`));
        const rows = JSON.parse(project.pinned(["releases", "--json"]).stdout) as Array<{ release: string; live: boolean }>;
        assert.deepStrictEqual(
            rows.map((r) => [r.release, r.live]),
            [
                [A, true],
                [B, false],
            ],
        );
    });

    it("rollback refuses a release with no recorded digest, before any change", () => {
        const C = "2026-12-11-001";
        const file = path.join(project.dir, "stacks", `Pulumi.${C}.yaml`);
        const text = `config:\n  pinned:commit: ${"c".repeat(40)}\n`;
        fs.writeFileSync(file, text);
        const refused = project.pinned(["rollback", "--to", C]);
        assert.strictEqual(refused.status, 1, refused.output);
        assert.match(refused.output, new RegExp(`release ${C} has no recorded digest`));
        assert.match(refused.output, /fix: /);
        assert.strictEqual(fs.readFileSync(file, "utf8"), text);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        fs.rmSync(file);
    });

    it("rollback refuses a digest the registry no longer has, and leaves stack file, state and cluster as they were", () => {
        const D = "2026-12-18-001";
        const file = path.join(project.dir, "stacks", `Pulumi.${D}.yaml`);
        const gone = `${env.registry.server}/${REPOSITORY}@sha256:${"0".repeat(64)}`;
        const text = `config:\n  pinned:commit: ${"d".repeat(40)}\n  pinned:imageDigest: ${gone}\n`;
        fs.writeFileSync(file, text);
        const refused = project.pinned(["rollback", "--to", D]);
        assert.strictEqual(refused.status, 1, refused.output);
        assert.match(refused.output, /the registry no longer has it/);
        assert.doesNotMatch(refused.output, /rolling out/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), text, "the stack file is unchanged");
        assert.doesNotMatch(project.pulumi(["stack", "ls", "--json"]).output, new RegExp(D), "no stack was left in the backend");
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        fs.rmSync(file);
    });

    it("up refuses a recipe that breaks the policy in seconds, before the engine, leaving no stack", async () => {
        const E = "2026-12-25-001";
        const dockerfile = fs.readFileSync(path.join(project.dir, "app", "Dockerfile"), "utf8");
        await project.release(E, { "app/Dockerfile": dockerfile.replace(/^FROM \S+$/m, "FROM python") });
        const up = project.up(E, { atHead: true });
        assert.strictEqual(up.status, 1, up.output);
        assert.match(up.output, /breaks the pinning policy:\n {2}app\/Dockerfile:\d+: base-unversioned: \[error\]/);
        assert.doesNotMatch(up.output, /engine:|building/);
        assert.ok(!fs.existsSync(path.join(project.dir, "stacks", `Pulumi.${E}.yaml`)));
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
    });
});
