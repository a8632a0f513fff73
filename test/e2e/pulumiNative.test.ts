import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseEngineDiff, ResourceChange } from "../../pipeline/engine/diff";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { docker, LocalEnv, registryDigest } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";
const C = "2026-12-11-001";
const D = "2026-12-18-001";
const DIGEST = /@sha256:[0-9a-f]{64}$/;
const IMAGE_PATH = "spec.template.spec.containers[0].image";

/** The docker provider's resources in a stack's state. */
function dockerResources(project: ReleaseProject, stack: string): string[] {
    const exported = project.userShell(`pulumi stack export --stack ${stack}`);
    assert.strictEqual(exported.status, 0, exported.output);
    return ((JSON.parse(exported.stdout).deployment.resources ?? []) as Array<{ type: string }>)
        .map((r) => r.type)
        .filter((t) => t.startsWith("docker:"));
}

function deploymentChange(changes: readonly ResourceChange[]): ResourceChange | undefined {
    return changes.find((c) => c.kind === "Deployment");
}

/**
 * A user who never types `pinned` for the update itself: the pulumi CLI,
 * with the settings `pinned env shell` prints, against the real engine,
 * Docker provider, registry and API server.
 */
describe("plain pulumi up / preview / destroy (the pulumi CLI, no pinned)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("native");
    let env: LocalEnv;
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let REPOSITORY: string;
    let digestA: string;
    let digestB: string;

    before(async () => {
        ({ env, cluster, project, namespace: NAMESPACE, repository: REPOSITORY } = suite);
        await project.release(A);
        assert.strictEqual(project.up(A).status, 0);
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        await project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        assert.strictEqual(project.up(B).status, 0);
        digestA = String(project.stackConfig(A)["pinned:imageDigest"]);
        digestB = String(project.stackConfig(B)["pinned:imageDigest"]);
        assert.match(digestA, DIGEST);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestB);
    });

    it("pinned env shell: pulumi and kubectl work by hand, with no warning", () => {
        const r = project.userShell(`pulumi stack ls --json && kubectl get deployment pinned-app -n ${NAMESPACE} -o name`);
        assert.strictEqual(r.status, 0, r.output);
        const stacks = (JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf("]") + 1)) as Array<{ name: string }>).map((s) => s.name).sort();
        assert.deepStrictEqual(stacks, [A, B]);
        assert.match(r.stdout, /deployment\.apps\/pinned-app/);
        assert.doesNotMatch(r.stderr ?? "", /warning/i, r.output);
    });

    it("after B is live, pulumi preview --stack A shows the Deployment's image going from B's digest to A's", () => {
        const r = project.userShell(`pulumi preview --stack ${A} --json`);
        assert.strictEqual(r.status, 0, r.output);
        const change = deploymentChange(parseEngineDiff(r.stdout).changes);
        assert.strictEqual(change?.op, "update", r.stdout);
        const image = change?.properties.find((p) => p.path === IMAGE_PATH);
        assert.deepStrictEqual([image?.before, image?.after], [digestB, digestA], JSON.stringify(change));
        assert.doesNotMatch(r.stderr ?? "", /warning/i, r.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestB, "a preview changes nothing");
    });

    it("pulumi up --stack A puts A's digest live, building and pushing nothing", async () => {
        const tagBefore = await registryDigest(env, REPOSITORY, A);
        const r = project.userShell(`pulumi up --stack ${A} --yes --skip-preview`);
        assert.strictEqual(r.status, 0, r.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.ok(cluster.rolledOut(NAMESPACE));
        assert.deepStrictEqual(dockerResources(project, A), [], "A's stack holds no build resources");
        assert.strictEqual(await registryDigest(env, REPOSITORY, A), tagBefore, "nothing was pushed");
    });

    it("pinned preview of the live release with nothing changed: no changes, exit 0", () => {
        const r = project.pinned(["preview", "--release", A]);
        assert.strictEqual(r.status, 0, r.output);
        assert.match(
            r.stdout,
            /^engine preview of stack 2026-11-27-001 \(against stack 2026-11-27-001's state, refreshed from the cluster\):\n {2}no changes$/m,
        );
        assert.match(r.stdout, /^no change: nothing would change$/m);
    });

    it("pinned preview shows a stack setting's change (pinned:replicas in the release's file), old → new", () => {
        const file = path.join(project.dir, "stacks", `Pulumi.${A}.yaml`);
        const text = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, text.replace(/^config:\n/m, 'config:\n  pinned:replicas: "2"\n'));
        try {
            const r = project.pinned(["preview", "--release", A, "--markdown"]);
            assert.strictEqual(r.status, 3, r.output);
            assert.ok(
                r.stdout.includes(`| Deployment \`${NAMESPACE}/pinned-app\` | update | \`spec.replicas\` | \`1\` | \`2\` |`),
                r.stdout,
            );
            assert.ok(!r.stdout.includes(IMAGE_PATH), "the image does not change");
        } finally {
            fs.writeFileSync(file, text);
        }
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA, "a preview changes nothing");
    });

    it("pinned preview shows a program change (the readiness probe in components/), old → new, and no image change", async () => {
        const file = path.join(project.dir, "components", "pinnedDeployment.ts");
        const code = fs.readFileSync(file, "utf8");
        const probe = 'readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 2';
        assert.ok(code.includes(probe), "the probe is where this test expects it");
        await project.commit("probe /healthz", {
            "components/pinnedDeployment.ts": code.replace(probe, probe.replace('"/"', '"/healthz"')),
        });
        try {
            const r = project.pinned(["preview", "--release", A]);
            assert.strictEqual(r.status, 3, r.output);
            assert.ok(
                r.stdout.includes(
                    `\n  ~ update Deployment ${NAMESPACE}/pinned-app\n      spec.template.spec.containers[0].readinessProbe.httpGet.path: / → /healthz\n`,
                ),
                r.stdout,
            );
            assert.ok(!r.stdout.includes(IMAGE_PATH), r.stdout);
        } finally {
            await project.commit("probe / again", { "components/pinnedDeployment.ts": code });
        }
    });

    it("pulumi destroy --stack B keeps the live Deployment and Service", () => {
        const r = project.userShell(`pulumi destroy --stack ${B} --yes --skip-preview`);
        assert.strictEqual(r.status, 0, r.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), digestA);
        assert.match(cluster.kubectl(["get", "service", "pinned-app", "-n", NAMESPACE, "-o", "name"]), /service\/pinned-app/);
    });

    /** Both passwords, one a line, for a shell that reads them first (READ_PASSWORDS). */
    const passwords = () => `${suite.env.registry.password}\n${suite.env.registry.pullPassword ?? ""}\n`;
    const READ_PASSWORDS = "IFS= read -r push_password; IFS= read -r pull_password";
    /**
     * The cluster's pull-only login, set as a user would with pulumi alone:
     * the password bound to its registry (registry=<host> password=…).
     */
    const pullLogin = (release: string) => [
        `pulumi config set --stack ${release} pinned:registryPullUser ${suite.env.registry.pullUsername ?? ""}`,
        `printf 'registry=%s password=%s' ${suite.env.registry.server} "$pull_password" | pulumi config set --stack ${release} --secret pinned:registryPullPassword`,
    ];

    it("a new release made with pulumi alone: @pulumi/docker builds and pushes it, labels and digest are real; its image is not signed, so a second up builds again and says why", async () => {
        const commit = await project.release(C);
        const setup = project.userShell(
            [
                READ_PASSWORDS,
                `pulumi stack init ${C}`,
                `pulumi config set --stack ${C} pinned:commit ${commit}`,
                `pulumi config set --stack ${C} pinned:registry ${env.registry.server}`,
                `pulumi config set --stack ${C} pinned:registryUser ${env.registry.username}`,
                // The engine builds only with the Docker provider (buildah runs outside it).
                `pulumi config set --stack ${C} pinned:builder docker`,
                ...pullLogin(C),
                // The passwords from stdin: never a command-line argument (printf is bash's own).
                `printf '%s' "$push_password" | pulumi config set --stack ${C} --secret pinned:registryPassword`,
            ].join("\n"),
            passwords(),
        );
        assert.strictEqual(setup.status, 0, setup.output);
        const up = project.userShell(`pulumi up --stack ${C} --yes --skip-preview`);
        assert.strictEqual(up.status, 0, up.output);
        assert.deepStrictEqual(dockerResources(project, C).sort(), [
            "docker:index/registryImage:RegistryImage",
            "docker:index/remoteImage:RemoteImage",
        ]);
        const out = JSON.parse(project.userShell(`pulumi stack output --json --stack ${C}`).stdout) as { imageDigest: string };
        const pushed = await registryDigest(env, REPOSITORY, C);
        assert.strictEqual(out.imageDigest, `${env.registry.server}/${REPOSITORY}@${pushed}`, "the digest is the registry's");
        assert.strictEqual(cluster.liveImage(NAMESPACE), out.imageDigest);

        docker(env, ["pull", "--quiet", out.imageDigest]);
        const labels = JSON.parse(docker(env, ["inspect", "--format", "{{json .Config.Labels}}", out.imageDigest])) as Record<
            string,
            string
        >;
        assert.strictEqual(labels.git_hash, commit);
        assert.strictEqual(labels["org.opencontainers.image.revision"], commit);
        assert.strictEqual(labels["org.opencontainers.image.version"], C);
        assert.match(labels["pinned.build-inputs"] ?? "", /^sha256:[0-9a-f]{64}$/);

        const again = project.userShell(`pulumi up --stack ${C} --yes --skip-preview`);
        assert.strictEqual(again.status, 0, again.output);
        // The label matches, but nothing vouches for who pushed it: only the
        // release key's signature (pinned up) makes an image reusable.
        assert.match(again.output, /has these inputs' label, but it is not signed by the release key/);
        assert.match(again.output, /an image built by pulumi up is not signed/);
        const rebuilt = JSON.parse(project.userShell(`pulumi stack output --json --stack ${C}`).stdout) as { imageDigest: string };
        assert.strictEqual(rebuilt.imageDigest, `${env.registry.server}/${REPOSITORY}@${await registryDigest(env, REPOSITORY, C)}`);
        assert.strictEqual(cluster.liveImage(NAMESPACE), rebuilt.imageDigest);
    });
    it("a new release made with pulumi alone under pinned:builder buildah: refused before anything is registered, naming the command; a preview's image is not taken; after pinned up built and signed it, pulumi up deploys the recorded digest", async () => {
        const commit = await project.commit("release D", {
            "app/server.py": fs
                .readFileSync(path.join(project.dir, "app", "server.py"), "utf8")
                .replace('"pinned-example"', '"pinned-example-d"'),
        });
        await project.git.addTag(D);
        const setup = project.userShell(
            [
                READ_PASSWORDS,
                `pulumi stack init ${D}`,
                `pulumi config set --stack ${D} pinned:commit ${commit}`,
                `pulumi config set --stack ${D} pinned:registry ${env.registry.server}`,
                `pulumi config set --stack ${D} pinned:registryUser ${env.registry.username}`,
                ...pullLogin(D),
                `printf '%s' "$push_password" | pulumi config set --stack ${D} --secret pinned:registryPassword`,
            ].join("\n"),
            passwords(),
        );
        assert.strictEqual(setup.status, 0, setup.output);
        const live = cluster.liveImage(NAMESPACE);
        const refused = project.userShell(`pulumi up --stack ${D} --yes --skip-preview`);
        assert.notStrictEqual(refused.status, 0, refused.output);
        assert.match(
            refused.output,
            new RegExp(
                `release ${D} has no image signed by the release key yet, and with pinned:builder buildah \\(the default\\) the engine does not build one`,
            ),
        );
        assert.ok(refused.output.includes(`pinned up --release ${D}`), refused.output);
        assert.strictEqual(cluster.liveImage(NAMESPACE), live, "nothing changed");
        assert.strictEqual(await registryDigest(env, REPOSITORY, D), undefined, "nothing pushed");

        // A preview pushes to its own repository, never under the release's tag.
        const preview = project.pinned(["preview", "--release", D]);
        assert.strictEqual(preview.status, 3, preview.output);
        const previewed = await registryDigest(env, `${REPOSITORY}-preview`, D);
        assert.match(String(previewed), /^sha256:[0-9a-f]{64}$/);
        assert.strictEqual(await registryDigest(env, REPOSITORY, D), undefined, "the release's tag is untouched");

        const released = project.pinned(["up", "--release", D]);
        assert.strictEqual(released.status, 0, released.output);
        const built = await registryDigest(env, REPOSITORY, D);
        assert.strictEqual(built, previewed, "buildah rebuilt the previewed image bit for bit");
        const up = project.userShell(`pulumi up --stack ${D} --yes --skip-preview`);
        assert.strictEqual(up.status, 0, up.output);
        assert.deepStrictEqual(dockerResources(project, D), [], "no build resource in the state");
        assert.strictEqual(cluster.liveImage(NAMESPACE), `${env.registry.server}/${REPOSITORY}@${built}`);
    });
});
