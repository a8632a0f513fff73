import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { resolveEnvironment, resolveSettings } from "../../core/settings";
import { lockWaitMs } from "../../pipeline/locks/lockFile";
import { listReleaseRecords, readReleaseRecord } from "../../pipeline/project/stackFile";

const HEX = "ab".repeat(32);
const OWN = `127.0.0.1:5000/pinned/app@sha256:${HEX}`;

/** One bad input: what reads it, and the words the refusal must contain (the key or variable, the value, the rule). */
interface Case {
    readonly input: string;
    readonly read: () => unknown;
    readonly says: RegExp;
}

const setting = (key: string, value: string, extra: Record<string, string> = {}): (() => unknown) => {
    return () => resolveSettings({ "pinned:registry": "127.0.0.1:5000", ...extra, [`pinned:${key}`]: value }, {}, "/project");
};
const env =
    (vars: Record<string, string>, cluster = true) =>
    () =>
        resolveEnvironment(vars, { cluster });

const cases: Case[] = [
    // Stack settings, through the one resolver.
    {
        input: "pinned:registry: https://r.example",
        read: setting("registry", "https://r.example"),
        says: /pinned:registry is "https:\/\/r\.example", not a registry host\[:port\]/,
    },
    { input: "pinned:registry: R.example (upper case)", read: setting("registry", "R.example"), says: /pinned:registry .*lower case/ },
    {
        input: "pinned:registry: r.example:70000",
        read: setting("registry", "r.example:70000"),
        says: /pinned:registry is "r\.example:70000"/,
    },
    { input: "pinned:registry: r.example/path", read: setting("registry", "r.example/path"), says: /no path/ },
    {
        input: "pinned:repository: Pinned/App",
        read: setting("repository", "Pinned/App"),
        says: /pinned:repository is "Pinned\/App".*lower case/,
    },
    { input: "pinned:repository: pinned//app", read: setting("repository", "pinned//app"), says: /pinned:repository is "pinned\/\/app"/ },
    { input: "pinned:repository: -app", read: setting("repository", "-app"), says: /pinned:repository is "-app"/ },
    { input: "pinned:name: My_App", read: setting("name", "My_App"), says: /pinned:name is "My_App".*a Kubernetes name/ },
    { input: "pinned:name: 64 characters", read: setting("name", "a".repeat(64)), says: /pinned:name is "a{64}".*at most 63/ },
    {
        input: "pinned:name: 1app (starts with a digit)",
        read: setting("name", "1app"),
        says: /pinned:name is "1app".*starting with a letter/,
    },
    { input: "pinned:name: app- (ends with -)", read: setting("name", "app-"), says: /pinned:name is "app-"/ },
    { input: "pinned:namespace: Prod", read: setting("namespace", "Prod"), says: /pinned:namespace is "Prod".*namespace name/ },
    { input: "pinned:namespace: 64 characters", read: setting("namespace", "n".repeat(64)), says: /pinned:namespace is "n{64}"/ },
    { input: "pinned:port: 70000", read: setting("port", "70000"), says: /pinned:port is "70000", not a whole number from 1 to 65535/ },
    { input: "pinned:port: 8080.5", read: setting("port", "8080.5"), says: /pinned:port is "8080\.5", not a whole number/ },
    { input: "pinned:port: 0", read: setting("port", "0"), says: /pinned:port is "0"/ },
    { input: "pinned:port: http", read: setting("port", "http"), says: /pinned:port is "http"/ },
    { input: "pinned:replicas: -1", read: setting("replicas", "-1"), says: /pinned:replicas is "-1", not a whole number from 0 to 1000/ },
    { input: "pinned:replicas: 1001 (over the cap)", read: setting("replicas", "1001"), says: /pinned:replicas is "1001".*0 to 1000/ },
    {
        input: "pinned:app: ../elsewhere",
        read: setting("app", "../elsewhere"),
        says: /pinned:app is "\.\.\/elsewhere", which is outside the project/,
    },
    { input: "pinned:app: /", read: setting("app", "/"), says: /pinned:app is "\/", which is outside the project/ },
    {
        input: "pinned:app: . (the whole project as build context)",
        read: setting("app", "."),
        says: /pinned:app is "\.", which is the project itself/,
    },
    { input: "pinned:strictPolicy: no", read: setting("strictPolicy", "no"), says: /pinned:strictPolicy is "no", neither true nor false/ },
    { input: "pinned:builder: kaniko", read: setting("builder", "kaniko"), says: /pinned:builder is "kaniko", not one of buildah, docker/ },
    {
        input: "pinned:renderYamlTo: /etc",
        read: setting("renderYamlTo", "/etc"),
        says: /pinned:renderYamlTo is "\/etc", which is outside the project/,
    },
    {
        input: "pinned:renderYamlTo: ../out",
        read: setting("renderYamlTo", "../out"),
        says: /pinned:renderYamlTo is "\.\.\/out", which is outside/,
    },
    {
        input: "pinned:renderYamlTo through a committed symlink to /tmp",
        read: () => {
            const project = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-symlink-"));
            fs.symlinkSync(os.tmpdir(), path.join(project, "out"));
            return resolveSettings({ "pinned:registry": "127.0.0.1:5000", "pinned:renderYamlTo": "out/rendered" }, {}, project);
        },
        says: /pinned:renderYamlTo is "out\/rendered", which leads through a symbolic link to \/tmp\/rendered, outside the project/,
    },
    {
        input: "pinned:app as a symlink outside, even where another project is mirrored",
        read: () => {
            const project = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-symlink-"));
            fs.symlinkSync("/etc", path.join(project, "app"));
            return resolveSettings({ "pinned:registry": "127.0.0.1:5000" }, { PINNED_PROJECT_MIRROR: "/work" }, project);
        },
        says: /pinned:app is "app", which leads through a symbolic link to \/etc, outside the project/,
    },
    {
        input: "pinned:app as a symlink to a directory outside",
        read: () => {
            const project = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-symlink-"));
            fs.symlinkSync("/etc", path.join(project, "app"));
            return resolveSettings({ "pinned:registry": "127.0.0.1:5000" }, {}, project);
        },
        says: /pinned:app is "app", which leads through a symbolic link to \/etc, outside the project/,
    },
    {
        input: "pinned:imageDigest is a tag (repo:1.0)",
        read: setting("imageDigest", "127.0.0.1:5000/pinned/app:1.0"),
        says: /pinned:imageDigest: .*has no digest: a tag can move/,
    },
    {
        input: "pinned:imageDigest with upper-case hex",
        read: setting("imageDigest", `127.0.0.1:5000/pinned/app@sha256:${HEX.toUpperCase()}`),
        says: /pinned:imageDigest: .*not a sha256 digest/,
    },
    {
        input: "pinned:imageDigest with sha512",
        read: setting("imageDigest", `127.0.0.1:5000/pinned/app@sha512:${"a".repeat(128)}`),
        says: /pinned:imageDigest: .*not a sha256 digest/,
    },
    {
        input: "pinned:imageDigest in another registry",
        read: setting("imageDigest", `other.example/pinned/app@sha256:${HEX}`),
        says: /pinned:imageDigest is in other\.example\/pinned\/app, not in this release's registry/,
    },
    {
        input: "pinned:imageDigest in another repository",
        read: setting("imageDigest", `127.0.0.1:5000/other/app@sha256:${HEX}`),
        says: /not in this release's registry and repository 127\.0\.0\.1:5000\/pinned\/app/,
    },
    { input: "pinned:commit: abc123", read: setting("commit", "abc123"), says: /pinned:commit is "abc123", not a full 40-hex commit hash/ },
    {
        input: "pinned:cpuRequest: half",
        read: setting("cpuRequest", "half"),
        says: /pinned:cpuRequest is "half", not a positive Kubernetes quantity/,
    },
    { input: "pinned:memoryLimit: 128MB", read: setting("memoryLimit", "128MB"), says: /pinned:memoryLimit is "128MB"/ },
    {
        input: "pinned:cpuRequest above pinned:cpuLimit",
        read: setting("cpuRequest", "2"),
        says: /pinned:cpuRequest \(2\) is above pinned:cpuLimit \(500m\)/,
    },
    {
        input: "pinned:progressDeadlineSeconds: 5",
        read: setting("progressDeadlineSeconds", "5"),
        says: /pinned:progressDeadlineSeconds is "5", not a whole number from 10 to 3600/,
    },
    // Environment variables, checked before any command starts.
    {
        input: "PINNED_REGISTRY=https://r.example",
        read: env({ PINNED_REGISTRY: "https://r.example" }),
        says: /PINNED_REGISTRY is "https:\/\/r\.example", not a registry host\[:port\] \(no scheme/,
    },
    {
        input: "PINNED_REGISTRY_PASSWORD without PINNED_REGISTRY_USER",
        read: env({ PINNED_REGISTRY: "r.example", PINNED_REGISTRY_PASSWORD: "s" }),
        says: /PINNED_REGISTRY_USER is not set/,
    },
    {
        input: "PINNED_REGISTRY_USER without PINNED_REGISTRY_PASSWORD",
        read: env({ PINNED_REGISTRY: "r.example", PINNED_REGISTRY_USER: "u" }),
        says: /PINNED_REGISTRY_PASSWORD is not set/,
    },
    {
        input: "a registry login without PINNED_REGISTRY",
        read: env({ PINNED_REGISTRY_USER: "u", PINNED_REGISTRY_PASSWORD: "s" }),
        says: /PINNED_REGISTRY is not/,
    },
    {
        input: "PINNED_REGISTRY_PULL_USER without PINNED_REGISTRY_PULL_PASSWORD",
        read: env({
            PINNED_REGISTRY: "r.example",
            PINNED_REGISTRY_USER: "u",
            PINNED_REGISTRY_PASSWORD: "s",
            PINNED_REGISTRY_PULL_USER: "p",
        }),
        says: /PINNED_REGISTRY_PULL_PASSWORD is not set/,
    },
    {
        input: "a pull-only login without a push login",
        read: env({ PINNED_REGISTRY: "r.example", PINNED_REGISTRY_PULL_USER: "p", PINNED_REGISTRY_PULL_PASSWORD: "s" }),
        says: /PINNED_REGISTRY_PULL_USER and PINNED_REGISTRY_PULL_PASSWORD are set, but PINNED_REGISTRY_USER/,
    },
    {
        input: "PINNED_CACHE=relative/dir",
        read: env({ PINNED_CACHE: "relative/dir" }),
        says: /PINNED_CACHE is "relative\/dir", a relative path/,
    },
    {
        input: "KUBECONFIG=/does/not/exist",
        read: env({ KUBECONFIG: "/does/not/exist" }),
        says: /KUBECONFIG names \/does\/not\/exist, which does not exist/,
    },
    {
        input: "PULUMI_CONFIG_PASSPHRASE set but empty",
        read: env({ PULUMI_CONFIG_PASSPHRASE: "" }, false),
        says: /PULUMI_CONFIG_PASSPHRASE is set but empty/,
    },
    {
        input: "PULUMI_CONFIG_PASSPHRASE_FILE=/no/such/file",
        read: env({ PULUMI_CONFIG_PASSPHRASE_FILE: "/no/such/file" }, false),
        says: /PULUMI_CONFIG_PASSPHRASE_FILE names \/no\/such\/file, which does not exist/,
    },
    {
        input: "PINNED_LOCK_TIMEOUT=soon",
        read: () => lockWaitMs({ PINNED_LOCK_TIMEOUT: "soon" }),
        says: /PINNED_LOCK_TIMEOUT="soon" is not a number of seconds/,
    },
    // Names given on the command line.
    { input: "pinned up --release ../x", read: () => parseReleaseName("../x"), says: /\.\.\/x/ },
    { input: "pinned up --release 2026-13-01-001 (no such month)", read: () => parseReleaseName("2026-13-01-001"), says: /2026-13-01-001/ },
];

describe("every input is checked, and the refusal names it", () => {
    it("has at least 40 cases", () => assert.ok(cases.length >= 40, String(cases.length)));
    for (const c of cases) {
        it(`refuses ${c.input}`, () => {
            assert.throws(c.read, (e: unknown) => {
                assert.ok(e instanceof PinnedError, `a PinnedError, not ${String(e)}`);
                assert.match(e.problem, c.says);
                assert.ok(e.fix.length > 10, "with a fix");
                return true;
            });
        });
    }

    it("accepts the values the README documents", () => {
        const s = resolveSettings(
            {
                "pinned:registry": "127.0.0.1:5000",
                "pinned:imageDigest": OWN,
                "pinned:name": "pinned-app",
                "pinned:namespace": "default",
                "pinned:app": "app",
            },
            {},
            "/project",
        );
        assert.strictEqual(s.imageDigest, OWN);
        assert.deepStrictEqual(
            resolveEnvironment(
                { PINNED_REGISTRY: "r.example:5000", PINNED_REGISTRY_USER: "ci", PINNED_REGISTRY_PASSWORD: "s" },
                { cluster: false },
            ).registry,
            {
                server: "r.example:5000",
                username: "ci",
                password: "s",
            },
        );
        assert.doesNotThrow(
            () => resolveEnvironment({ KUBECONFIG: "/does/not/exist" }, { cluster: false }),
            "a command that reaches no cluster",
        );
    });

    describe("stack files", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-stacks-"));
            fs.mkdirSync(path.join(dir, "stacks"));
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: pinned\nruntime: nodejs\n");
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, "stacks", name), text);

        it("a stack file that is not valid YAML: file, line and the YAML error", () => {
            write("Pulumi.2026-11-30-001.yaml", "config:\n  pinned:commit: abc\n   bad: [\n");
            assert.throws(
                () => readReleaseRecord("2026-11-30-001", dir),
                (e: unknown) => e instanceof PinnedError && /Pulumi\.2026-11-30-001\.yaml:3:\d+: not valid YAML/.test(e.problem),
            );
        });

        it("a registryPassword in plain text is refused, naming the fix", () => {
            write("Pulumi.2026-11-30-001.yaml", "config:\n  pinned:registryPassword: hunter2\n");
            assert.throws(
                () => readReleaseRecord("2026-11-30-001", dir),
                (e: unknown) =>
                    e instanceof PinnedError &&
                    /pinned:registryPassword is written in plain text/.test(e.problem) &&
                    /npx pinned registry-password --release 2026-11-30-001/.test(e.fix),
            );
            write("Pulumi.2026-11-30-001.yaml", "config:\n  pinned:registryPullPassword: hunter2\n");
            assert.throws(
                () => readReleaseRecord("2026-11-30-001", dir),
                (e: unknown) =>
                    e instanceof PinnedError &&
                    /pinned:registryPullPassword is written in plain text/.test(e.problem) &&
                    /registry-password --pull/.test(e.fix),
            );
            write("Pulumi.2026-11-30-001.yaml", "config:\n  pinned:registryPassword:\n    secure: v1:abc\n");
            assert.ok(readReleaseRecord("2026-11-30-001", dir));
        });

        it("stacks/Pulumi.0000.yaml and other non-release names are not releases", () => {
            write("Pulumi.0000.yaml", "config: {}\n");
            write("Pulumi.dev.yaml", "config: {}\n");
            write("Pulumi.2026-11-30-001.yaml", "config: {}\n");
            assert.deepStrictEqual(
                listReleaseRecords(dir).map((r) => r.release),
                ["2026-11-30-001"],
            );
        });

        it("a release name read from the cluster (an annotation like ../../x) never names a file outside stacks/", () => {
            fs.writeFileSync(path.join(dir, "x.yaml"), "config: {}\n");
            assert.strictEqual(readReleaseRecord("../../x", dir), undefined);
            assert.strictEqual(readReleaseRecord("../x", dir), undefined);
        });
    });
});
