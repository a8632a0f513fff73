import "./mocks";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { parseImageDigest } from "../../core/imageDigest";
import { RecipePolicyError } from "../../core/errors";
import {
    ANNOTATIONS,
    DeploymentSettings,
    PinnedDeployment,
    PinnedDeploymentArgs,
    REVISION_HISTORY_LIMIT,
} from "../../components/pinnedDeployment";
import { Release } from "../../components/release";
import { ReleaseImage } from "../../components/releaseImage";
import { BUILD_INPUTS_LABEL, recipeBuild } from "../../core/recipe";
import { resolveSettings } from "../../core/settings";
import { STRICT_DOCKERFILE } from "../support/tempRepo";
import { ofType, promiseOf, registered, setImageDigest, settle, useMocks } from "./mocks";
import { IMAGE_BUILD_TYPE, IMAGE_PUSH_TYPE } from "../../components/releaseImage";

const COMMIT = "532aa0fe568c79c59e5cececc18732b2a3cf8995";
/** Every setting as the resolver's defaults give it: the components take them as they are. */
const DEFAULT_SETTINGS = resolveSettings({}, {}, "/p");
const PULL = { server: "127.0.0.1:5000", username: "pinned", password: "s3cret" };
const DIGEST = parseImageDigest(`127.0.0.1:5000/pinned/app@sha256:${"cd".repeat(32)}`);

/** The app directories appDir made, removed once every test in this file ran. */
const appDirs: string[] = [];
after(() => appDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function appDir(dockerfile = STRICT_DOCKERFILE): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-app-"));
    appDirs.push(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
    fs.writeFileSync(path.join(dir, "server.py"), "print('hello')\n");
    return dir;
}

const imageArgs = (dir: string) => ({
    tag: "2026-11-27-001",
    release: "2026-11-27-001",
    commit: COMMIT,
    commitTime: "2026-11-27T10:00:00.000Z",
    sourceUrl: "https://git.example/team/app.git",
    settings: { ...DEFAULT_SETTINGS, appDir: dir, registry: "127.0.0.1:5000", registryUser: "pinned" },
    registryPassword: "s3cret",
});

describe("ReleaseImage (mocks)", () => {
    beforeEach(() => useMocks("2026-11-27-001"));

    it("builds with the Docker provider, explicit args and commit-time labels, and outputs the pushed digest", async () => {
        const image = new ReleaseImage("img", imageArgs(appDir()));
        assert.strictEqual(await promiseOf(image.imageDigest), `127.0.0.1:5000/pinned/app@sha256:${"ab".repeat(32)}`);
        const [remote] = ofType(IMAGE_BUILD_TYPE);
        const [push] = ofType(IMAGE_PUSH_TYPE);
        assert.strictEqual(remote.inputs.name, "127.0.0.1:5000/pinned/app:2026-11-27-001");
        assert.strictEqual(push.inputs.name, "127.0.0.1:5000/pinned/app:2026-11-27-001");
        assert.strictEqual(push.inputs.keepRemotely, true, "rollback needs the pushed image kept");
        const build = { inputs: remote.inputs.build as Record<string, unknown> };
        // The commit time, for Python's hash-based .pyc (2026-11-27T10:00:00Z).
        assert.deepStrictEqual(build.inputs.buildArgs, { git_hash: COMMIT, SOURCE_DATE_EPOCH: "1795773600" });
        const { [BUILD_INPUTS_LABEL]: inputsLabel, ...labels } = build.inputs.labels as Record<string, string>;
        assert.match(inputsLabel, /^sha256:[0-9a-f]{64}$/);
        assert.deepStrictEqual(labels, {
            git_hash: COMMIT,
            "org.opencontainers.image.revision": COMMIT,
            "org.opencontainers.image.version": "2026-11-27-001",
            "org.opencontainers.image.created": "2026-11-27T10:00:00.000Z",
            "org.opencontainers.image.source": "https://git.example/team/app.git",
            // The final stage's base, so a preview can tell a base change.
            "org.opencontainers.image.base.name": "127.0.0.1:5000/pinned/python:3.11.2-bookworm",
            "org.opencontainers.image.base.digest": `sha256:${"0".repeat(64)}`,
            "pinned.build-args": JSON.stringify({ SOURCE_DATE_EPOCH: "1795773600", git_hash: COMMIT }),
        });
        assert.match(String((remote.inputs.triggers as Record<string, string>).contextHash), /^sha256:[0-9a-f]{64}$/);
    });

    it("names its build inputs by content: same in another checkout, different for another release or file", () => {
        const args = { release: "2026-11-27-001", commit: COMMIT, commitTime: "2026-11-27T10:00:00.000Z" };
        const one = appDir();
        const two = appDir();
        const label = (dir: string, over = {}) => recipeBuild({ appDir: dir, ...args, ...over }).labels[BUILD_INPUTS_LABEL];
        assert.notStrictEqual(one, two);
        assert.strictEqual(label(one), label(two));
        assert.notStrictEqual(label(one, { release: "2026-12-04-001" }), label(one));
        assert.notStrictEqual(label(one, { buildArgs: { extra: "1" } }), label(one));
        fs.writeFileSync(path.join(two, "server.py"), "print('changed')\n");
        assert.notStrictEqual(label(two), label(one));
    });

    it("hashes the context the same way twice, and differently after a change", () => {
        const dir = appDir();
        new ReleaseImage("a", imageArgs(dir));
        new ReleaseImage("b", imageArgs(dir));
        fs.writeFileSync(path.join(dir, "server.py"), "print('changed')\n");
        new ReleaseImage("c", imageArgs(dir));
        return settle().then(() => {
            const [a, b, c] = ofType(IMAGE_BUILD_TYPE).map((r) => (r.inputs.triggers as Record<string, string>).contextHash);
            assert.strictEqual(a, b);
            assert.notStrictEqual(a, c);
        });
    });

    for (const bad of ["", "<none>", "sha256:", "2026-11-27-001"]) {
        it(`stops the run when the push reports ${JSON.stringify(bad)} as its digest`, async () => {
            setImageDigest(() => bad);
            const image = new ReleaseImage("img", imageArgs(appDir()));
            await assert.rejects(promiseOf(image.imageDigest), /empty|not a sha256 digest/);
        });
    }

    it("refuses to build a recipe with policy errors, naming file and line", () => {
        const dir = appDir("FROM python\nRUN pip install numpy\n");
        assert.throws(
            () => new ReleaseImage("img", imageArgs(dir)),
            (e: unknown) =>
                e instanceof RecipePolicyError &&
                /Dockerfile:1: base-unversioned/.test(e.problem) &&
                /Dockerfile:2: pip-unpinned/.test(e.problem),
        );
        return settle().then(() => assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length, 0, "nothing was built"));
    });

    it("gives the registry's credentials to its Docker provider only, keyed by an address with a scheme", async () => {
        const image = new ReleaseImage("img", imageArgs(appDir()));
        await promiseOf(image.imageDigest);
        const [provider] = ofType("pulumi:providers:docker");
        // The password makes the whole setting a secret (encrypted in state);
        // provider config reaches the engine JSON-encoded.
        const secret = provider.inputs.registryAuth as Record<string, string>;
        assert.strictEqual(secret["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "registryAuth is a secret");
        const [auth] = JSON.parse(secret.value) as Array<Record<string, unknown>>;
        assert.strictEqual(auth.address, "http://127.0.0.1:5000", "plain HTTP on loopback, or the digest lookup after the push fails");
        assert.strictEqual(auth.username, "pinned");
        for (const r of [...ofType(IMAGE_BUILD_TYPE), ...ofType(IMAGE_PUSH_TYPE)]) {
            assert.ok(!JSON.stringify(r.inputs).includes("s3cret"), `${r.type} holds no password`);
        }
    });
});

describe("PinnedDeployment (mocks)", () => {
    beforeEach(() => useMocks("2026-11-27-001"));
    const deployment = (extra: Partial<PinnedDeploymentArgs> = {}, settings: Partial<DeploymentSettings> = {}) =>
        new PinnedDeployment("app", {
            image: DIGEST,
            release: "2026-11-27-001",
            commit: COMMIT,
            settings: { ...DEFAULT_SETTINGS, ...settings },
            ...extra,
        });
    /** The pod spec of the Deployment the mock engine saw. */
    const podSpec = () =>
        (ofType("kubernetes:apps/v1:Deployment")[0].inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec;

    it("runs exactly the image digest, with release and commit recorded", async () => {
        const d = new PinnedDeployment("app", { image: DIGEST, release: "2026-11-27-001", commit: COMMIT, settings: DEFAULT_SETTINGS });
        assert.strictEqual(await promiseOf(d.image), DIGEST);
        await promiseOf(d.deployment.id);
        await promiseOf(d.service.id);
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        const spec = dep.inputs.spec as {
            selector: { matchLabels: Record<string, string> };
            template: {
                metadata: { labels: Record<string, string>; annotations: Record<string, string> };
                spec: { containers: Array<{ image: string }> };
            };
        };
        assert.strictEqual(spec.template.spec.containers[0].image, DIGEST);
        assert.deepStrictEqual(spec.selector.matchLabels, { "app.kubernetes.io/name": "pinned-app" });
        assert.strictEqual(spec.template.metadata.labels["app.kubernetes.io/version"], "2026-11-27-001");
        assert.strictEqual(spec.template.metadata.labels["pinned/git-hash"], COMMIT);
        assert.strictEqual(spec.template.metadata.annotations[ANNOTATIONS.image], DIGEST);
        const meta = dep.inputs.metadata as { name: string; annotations: Record<string, string> };
        assert.strictEqual(meta.name, "pinned-app", "fixed name shared by all release stacks");
        assert.strictEqual(meta.annotations["pulumi.com/patchForce"], "true");
        assert.strictEqual(meta.annotations[ANNOTATIONS.release], "2026-11-27-001");
        assert.strictEqual(meta.annotations[ANNOTATIONS.commit], COMMIT);
        const [svc] = ofType("kubernetes:core/v1:Service");
        const svcAnnotations = (svc.inputs.metadata as { annotations: Record<string, string> }).annotations;
        assert.strictEqual(svcAnnotations["pulumi.com/skipAwait"], "true", "readiness is the Deployment's to judge");
        assert.deepStrictEqual((svc.inputs.spec as { selector: unknown }).selector, { "app.kubernetes.io/name": "pinned-app" });
    });

    it("passes the restricted Pod Security profile, sized, probed, rolling with no unavailable pod", async () => {
        const d = new PinnedDeployment("app", { image: DIGEST, release: "2026-11-27-001", commit: COMMIT, settings: DEFAULT_SETTINGS });
        await promiseOf(d.deployment.id);
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        type Spec = {
            strategy: unknown;
            progressDeadlineSeconds: number;
            revisionHistoryLimit: number;
            template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } };
        };
        const spec = dep.inputs.spec as Spec;
        assert.deepStrictEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        assert.strictEqual(spec.progressDeadlineSeconds, 120);
        assert.strictEqual(spec.revisionHistoryLimit, REVISION_HISTORY_LIMIT);
        const meta = dep.inputs.metadata as { annotations: Record<string, string> };
        assert.strictEqual(meta.annotations["pulumi.com/timeoutSeconds"], "150", "the engine waits a little past the deadline");
        const pod = spec.template.spec;
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.deepStrictEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        assert.strictEqual(pod.imagePullSecrets, undefined, "no credentials, no pull secret");
        const [c] = pod.containers;
        assert.deepStrictEqual(c.securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        });
        assert.deepStrictEqual(c.resources, { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } });
        assert.ok(c.readinessProbe && c.livenessProbe);
        assert.deepStrictEqual(c.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
        assert.deepStrictEqual(pod.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }]);
    });

    it("pulls with a dockerconfigjson Secret made from the registry credentials, as a Pulumi secret", async () => {
        await promiseOf(deployment({ pullCredentials: PULL }).deployment.id);
        const [secret] = ofType("kubernetes:core/v1:Secret");
        assert.strictEqual(secret.inputs.type, "kubernetes.io/dockerconfigjson");
        const meta = secret.inputs.metadata as { name: string; annotations: Record<string, string> };
        assert.strictEqual(meta.name, "pinned-app-registry");
        assert.strictEqual(meta.annotations["pulumi.com/patchForce"], "true", "a release takes over another manager's login");
        // The document is a Pulumi secret (encrypted in state), whatever the provider does with Secret data.
        const wrapped = secret.inputs.data as { value: Record<string, string> } & Record<string, unknown>;
        assert.strictEqual(wrapped["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "the document is a secret");
        const doc = JSON.parse(Buffer.from(wrapped.value[".dockerconfigjson"], "base64").toString());
        assert.deepStrictEqual(doc.auths["127.0.0.1:5000"], {
            username: "pinned",
            password: "s3cret",
            auth: Buffer.from("pinned:s3cret").toString("base64"),
        });
        assert.deepStrictEqual(podSpec().imagePullSecrets, [{ name: "pinned-app-registry" }]);
    });

    it("writes no Secret when rendering manifests to files, and still names the pull secret", async () => {
        await promiseOf(deployment({ pullCredentials: PULL }, { renderYamlTo: "/p/rendered" }).deployment.id);
        assert.strictEqual(ofType("kubernetes:core/v1:Secret").length, 0);
        assert.deepStrictEqual(podSpec().imagePullSecrets, [{ name: "pinned-app-registry" }]);
    });

    it("retains the live Deployment and Service when a stack is destroyed", async () => {
        // A transformation sees each child's final options, as the engine gets them.
        const seen: Array<{ type: string; retainOnDelete?: boolean }> = [];
        const d = new PinnedDeployment(
            "app",
            { image: DIGEST, release: "2026-11-27-001", commit: COMMIT, settings: DEFAULT_SETTINGS },
            { transformations: [(a) => void seen.push({ type: a.type, retainOnDelete: a.opts.retainOnDelete })] },
        );
        await promiseOf(d.image);
        assert.deepStrictEqual(
            seen.filter((s) => s.type.startsWith("kubernetes:")),
            [
                { type: "kubernetes:apps/v1:Deployment", retainOnDelete: true },
                { type: "kubernetes:core/v1:Service", retainOnDelete: true },
            ],
        );
    });
});

describe("Release (mocks)", () => {
    beforeEach(() => useMocks("2026-11-27-001"));
    const provider = () => new k8s.Provider("cluster", { renderYamlToDirectory: "/tmp/unused" });
    const args = (dir: string) => ({
        release: "2026-11-27-001",
        commit: COMMIT,
        commitTime: "2026-11-27T10:00:00.000Z",
        settings: { ...DEFAULT_SETTINGS, appDir: dir, registry: "127.0.0.1:5000" },
    });

    it("deploys the image component's digest output, exactly", async () => {
        const r = new Release("2026-11-27-001", { ...args(appDir()), provider: provider() });
        const built = await promiseOf(r.image!.imageDigest);
        assert.match(built, /^127\.0\.0\.1:5000\/pinned\/app@sha256:/);
        const deployed = await promiseOf(r.deployment.image);
        assert.strictEqual(deployed, built);
        await promiseOf(r.deployment.deployment.id);
        const [dep] = ofType("kubernetes:apps/v1:Deployment");
        const containers = (dep.inputs.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers;
        assert.strictEqual(containers[0].image, built);
    });

    it("builds nothing when a digest is recorded", async () => {
        const r = new Release("2026-11-27-001", { ...args(appDir()), digest: DIGEST, provider: provider() });
        assert.strictEqual(r.image, undefined);
        assert.strictEqual(await promiseOf(r.deployment.image), DIGEST);
        await promiseOf(r.deployment.deployment.id);
        assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length + ofType(IMAGE_PUSH_TYPE).length, 0);
        assert.ok(registered.some((x) => x.type === "kubernetes:apps/v1:Deployment"));
    });

    it("registers no Deployment when the build yields an empty digest", async () => {
        setImageDigest(() => "");
        const r = new Release("2026-11-27-001", { ...args(appDir()), provider: provider() });
        await assert.rejects(promiseOf(r.imageDigest), /empty/);
        await settle();
        assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0);
    });
});
