import "./mocks";
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as pulumi from "@pulumi/pulumi";
import { execSync } from "child_process";
import { ConfigError, GitSourceError, RegistryError } from "../../core/errors";
import { BUILD_INPUTS_LABEL, recipeBuild } from "../../core/recipe";
import { bindPassword } from "../../core/registryLogin";
import { makeTempRepo, STRICT_DOCKERFILE, TempRepo } from "../support/tempRepo";
import { ofType, promiseOf, registered, useMocks } from "./mocks";
import { IMAGE_BUILD_TYPE } from "../../components/releaseImage";
import { DeploymentSettings } from "../../components/pinnedDeployment";

// Loaded after the mocks, as the Pulumi testing guide asks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program: () => Promise<Record<string, unknown>> = require("../..");

const R = "2026-11-27-001";
const HEX = "cd".repeat(32);

/**
 * A loopback stand-in for a registry's Distribution API, with basic auth:
 * manifests by digest, and tags whose image config carries `labels`.
 */
async function fakeRegistry(
    digests: string[],
    tags: Record<string, { digest: string; labels: Record<string, string> }> = {},
    onAuthorization: (header: string | undefined) => void = () => undefined,
): Promise<{ host: string; requests: string[]; close(): void }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        onAuthorization(req.headers.authorization);
        if (req.headers.authorization !== `Basic ${Buffer.from("pinned:pw").toString("base64")}`) {
            res.writeHead(401, { "www-authenticate": 'Basic realm="registry"' }).end();
            return;
        }
        const digest = /\/manifests\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "")?.[1];
        const tag = /\/manifests\/([^/:]+)$/.exec(req.url ?? "")?.[1];
        const blob = /\/blobs\/config-(.+)$/.exec(req.url ?? "")?.[1];
        if (tag && tags[tag]) {
            res.writeHead(200, { "docker-content-digest": tags[tag].digest, "content-type": "application/json" }).end(
                JSON.stringify({ config: { digest: `config-${tag}` } }),
            );
        } else if (blob && tags[blob]) {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ config: { Labels: tags[blob].labels } }));
        } else {
            res.writeHead(digest && digests.includes(digest) ? 200 : 404).end();
        }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}

async function outputsOf(out: Record<string, unknown>): Promise<Record<string, unknown>> {
    const resolved: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out)) {
        resolved[k] = pulumi.Output.isInstance(v) ? await promiseOf(v) : v;
    }
    return resolved;
}

describe("program (mocks)", function () {
    this.timeout(30_000);
    let repo: TempRepo;
    let commit: string;

    beforeEach(async () => {
        repo = await makeTempRepo();
        commit = await repo.commit({ "app/Dockerfile": STRICT_DOCKERFILE, "app/server.py": "print(1)\n" });
        await repo.git.addTag(R);
    });
    // The program resolves settings against its working directory, the project.
    let cwd: string;
    beforeEach(() => {
        cwd = process.cwd();
        process.chdir(repo.dir);
    });
    afterEach(() => {
        process.chdir(cwd);
        repo.remove();
    });

    const config = (extra: Record<string, string> = {}) => ({
        "pinned:commit": commit,
        "pinned:registry": "127.0.0.1:5000",
        "pinned:app": `${repo.dir}/app`,
        "pinned:renderYamlTo": `${repo.dir}/rendered`,
        ...extra,
    });

    it("builds at the release tag and deploys the built digest; outputs say what runs", async () => {
        const reg = await fakeRegistry([]);
        try {
            useMocks(
                R,
                config({
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                    "pinned:builder": "docker",
                }),
            );
            const out = await outputsOf(await program());
            const [build] = ofType(IMAGE_BUILD_TYPE);
            assert.ok(build, "an image is built");
            const epoch = execSync(`git -C ${repo.dir} show -s --format=%ct ${commit}`).toString().trim();
            assert.deepStrictEqual((build.inputs.build as { buildArgs: unknown }).buildArgs, {
                git_hash: commit,
                SOURCE_DATE_EPOCH: epoch,
            });
            assert.deepStrictEqual(out, {
                release: R,
                commit,
                imageDigest: `${reg.host}/pinned/app@sha256:${"ab".repeat(32)}`,
                deployment: "default/pinned-app",
            });
            const [dep] = ofType("kubernetes:apps/v1:Deployment");
            const image = (dep.inputs.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]
                .image;
            assert.strictEqual(image, out.imageDigest);
            assert.ok(reg.requests.includes(`GET /v2/pinned/app/manifests/${R}`), "it looked for an identical build first");
        } finally {
            reg.close();
        }
    });

    it("with pinned:builder buildah (the default), a release without an image is refused with the commands that build it; nothing is registered", async () => {
        const reg = await fakeRegistry([]);
        try {
            useMocks(
                R,
                config({
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                }),
            );
            await assert.rejects(
                program(),
                (e: unknown) =>
                    e instanceof ConfigError &&
                    /has no image signed by the release key yet, and with pinned:builder buildah \(the default\) the engine does not build one/.test(
                        e.problem,
                    ) &&
                    e.fix.includes(`pinned up --release ${R}`),
            );
            assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length, 0, "nothing built");
            assert.strictEqual(ofType("kubernetes:apps/v1:Deployment").length, 0, "nothing deployed");
        } finally {
            reg.close();
        }
    });

    // Reuse of an image the release key signed is proven against the real
    // registry and cosign (test/e2e/signing.test.ts, faults.test.ts).
    it("an image under the tag with this build's label but no release signature is rebuilt, not deployed; so is another build", async () => {
        const label = (c: string) =>
            recipeBuild({
                appDir: `${repo.dir}/app`,
                release: R,
                commit: c,
                commitTime: new Date(
                    Number(execSync(`git -C ${repo.dir} show -s --format=%ct ${c}`).toString().trim()) * 1000,
                ).toISOString(),
            }).labels[BUILD_INPUTS_LABEL];
        const same = await fakeRegistry([], { [R]: { digest: `sha256:${HEX}`, labels: { [BUILD_INPUTS_LABEL]: label(commit) } } });
        try {
            useMocks(
                R,
                config({
                    "pinned:registry": same.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(same.host, "pw"),
                    "pinned:builder": "docker",
                }),
            );
            const out = await outputsOf(await program());
            assert.notStrictEqual(out.imageDigest, `${same.host}/pinned/app@sha256:${HEX}`, "the unsigned image is not deployed");
            assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length, 1, "built instead");
        } finally {
            same.close();
        }
        const other = await fakeRegistry([], { [R]: { digest: `sha256:${HEX}`, labels: { [BUILD_INPUTS_LABEL]: "sha256:other" } } });
        try {
            useMocks(
                R,
                config({
                    "pinned:registry": other.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(other.host, "pw"),
                    "pinned:builder": "docker",
                }),
            );
            await outputsOf(await program());
            assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length, 1, "built again");
        } finally {
            other.close();
        }
    });

    it("with a recorded digest: checks the registry, builds nothing, deploys that digest", async () => {
        const reg = await fakeRegistry([`sha256:${HEX}`]);
        try {
            const recorded = `${reg.host}/pinned/app@sha256:${HEX}`;
            useMocks(
                R,
                config({
                    "pinned:imageDigest": recorded,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                }),
            );
            const out = await outputsOf(await program());
            assert.strictEqual(out.imageDigest, recorded);
            assert.strictEqual(ofType(IMAGE_BUILD_TYPE).length, 0, "no image resource");
            assert.deepStrictEqual(reg.requests, [
                `HEAD /v2/pinned/app/manifests/sha256:${HEX}`,
                `HEAD /v2/pinned/app/manifests/sha256:${HEX}`,
            ]);
        } finally {
            reg.close();
        }
    });

    it("the Kubernetes provider's inputs name no machine's kubeconfig file: $KUBECONFIG stays the provider's own to read", async () => {
        const reg = await fakeRegistry([`sha256:${HEX}`]);
        const ambient = process.env.KUBECONFIG;
        process.env.KUBECONFIG = "/home/alice/.kube/config";
        try {
            const recorded = `${reg.host}/pinned/app@sha256:${HEX}`;
            useMocks(
                R,
                config({
                    "pinned:imageDigest": recorded,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                }),
            );
            await outputsOf(await program());
            const [provider] = ofType("pulumi:providers:kubernetes");
            assert.ok(provider, "a Kubernetes provider");
            assert.strictEqual(provider.inputs.kubeconfig, undefined, JSON.stringify(provider.inputs));
            assert.strictEqual(process.env.KUBECONFIG, "/home/alice/.kube/config", "the program's environment is as it was");
        } finally {
            if (ambient === undefined) {
                delete process.env.KUBECONFIG;
            } else {
                process.env.KUBECONFIG = ambient;
            }
            reg.close();
        }
    });

    it("every Deployment setting in the stack reaches the manifests the program registers", async () => {
        const reg = await fakeRegistry([`sha256:${HEX}`]);
        try {
            // A cluster release with a pull login, so each row's value is all that differs.
            const stack = (values: Record<string, string>) =>
                config({
                    "pinned:imageDigest": `${reg.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                    "pinned:registryPullUser": "puller",
                    "pinned:registryPullPassword": bindPassword(reg.host, "pull-pw"),
                    "pinned:renderYamlTo": "",
                    ...values,
                });
            const rows = Object.entries(settingRows(repo.dir));
            useMocks(R, stack({}));
            await outputsOf(await program());
            const defaults = manifests();
            for (const [key, row] of rows) {
                assert.notDeepStrictEqual(row.shown(defaults), row.expected, `${key}: the row's value is not the default`);
            }
            useMocks(R, stack(Object.assign({}, ...rows.map(([, row]) => row.stack))));
            await outputsOf(await program());
            const set = manifests();
            for (const [key, row] of rows) {
                assert.deepStrictEqual(row.shown(set), row.expected, `${key} reached the manifests`);
            }
        } finally {
            reg.close();
        }
    });

    it("a recorded digest missing from the registry stops the run before any resource", async () => {
        const reg = await fakeRegistry([]);
        try {
            useMocks(
                R,
                config({
                    "pinned:imageDigest": `${reg.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                }),
            );
            await assert.rejects(program(), (e: unknown) => e instanceof RegistryError && /no longer has it/.test(e.problem));
            assert.strictEqual(registered.length, 0);
        } finally {
            reg.close();
        }
    });

    it("wrong registry credentials name the config to fix", async () => {
        const reg = await fakeRegistry([`sha256:${HEX}`]);
        try {
            useMocks(
                R,
                config({
                    "pinned:imageDigest": `${reg.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "wrong"),
                }),
            );
            await assert.rejects(program(), (e: unknown) => e instanceof RegistryError && /pinned:registryPassword/.test(e.fix));
        } finally {
            reg.close();
        }
    });

    it("a recorded digest in another registry is refused before any registry is asked or resource registered", async () => {
        const seen: string[] = [];
        const other = await fakeRegistry([`sha256:${HEX}`], {}, (auth) => seen.push(auth ?? ""));
        try {
            useMocks(
                R,
                config({
                    "pinned:imageDigest": `${other.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword("127.0.0.1:5000", "pw"),
                }),
            );
            await assert.rejects(
                program(),
                (e: unknown) =>
                    e instanceof ConfigError &&
                    /not in this release's registry and repository 127\.0\.0\.1:5000\/pinned\/app/.test(e.problem),
            );
            assert.deepStrictEqual(seen, [], "the other registry was never contacted");
            assert.strictEqual(registered.length, 0);
        } finally {
            other.close();
        }
    });

    it("a stack whose pinned:registry was changed to another loopback registry is refused before any credential is sent, naming the fix", async () => {
        const seen: string[] = [];
        const set = await fakeRegistry([`sha256:${HEX}`], {}, (auth) => seen.push(`set for: ${auth ?? ""}`));
        const other = await fakeRegistry([`sha256:${HEX}`], {}, (auth) => seen.push(`other: ${auth ?? ""}`));
        try {
            useMocks(
                R,
                config({
                    // The digest and the registry edited together, as a stack file in git can be.
                    "pinned:imageDigest": `${other.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": other.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(set.host, "pw"),
                }),
            );
            await assert.rejects(
                program(),
                (e: unknown) =>
                    e instanceof ConfigError &&
                    e.problem.includes(`pinned:registryPassword was set for registry ${set.host}, but pinned:registry is ${other.host}`) &&
                    e.fix.includes(`put back pinned:registry: ${set.host}`) &&
                    e.fix.includes(`npx pinned registry-password --release ${R}`),
            );
            assert.deepStrictEqual(seen, [], "no registry was asked, with or without credentials");
            assert.strictEqual(registered.length, 0);
        } finally {
            set.close();
            other.close();
        }
    });

    it("a password from before binding goes only where pinned knows it belongs: the known registry's own password", async () => {
        const seen: string[] = [];
        const reg = await fakeRegistry([`sha256:${HEX}`], {}, (auth) => seen.push(auth ?? ""));
        const saved = { ...process.env };
        try {
            const stack = (password: string) =>
                config({
                    "pinned:imageDigest": `${reg.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": password,
                });
            Object.assign(process.env, { PINNED_REGISTRY: reg.host, PINNED_REGISTRY_USER: "pinned", PINNED_REGISTRY_PASSWORD: "pw" });
            useMocks(R, stack("pw"));
            await outputsOf(await program());
            assert.ok(seen.length > 0, "the known registry was asked with its own password");
            seen.length = 0;
            useMocks(R, stack("another"));
            await assert.rejects(
                program(),
                (e: unknown) => e instanceof ConfigError && /is not bound to a registry/.test(e.problem) && /registry-password/.test(e.fix),
            );
            assert.deepStrictEqual(seen, [], "an unbound password that is not the known one is sent nowhere");
        } finally {
            process.env = saved;
            reg.close();
        }
    });

    it("the pull Secret holds the pull-only login, never the push password; without a pull login a cluster release is refused", async () => {
        const reg = await fakeRegistry([`sha256:${HEX}`]);
        try {
            const stack = (extra: Record<string, string>) =>
                config({
                    "pinned:imageDigest": `${reg.host}/pinned/app@sha256:${HEX}`,
                    "pinned:registry": reg.host,
                    "pinned:registryUser": "pinned",
                    "pinned:registryPassword": bindPassword(reg.host, "pw"),
                    "pinned:renderYamlTo": "",
                    ...extra,
                });
            useMocks(R, stack({}));
            await assert.rejects(
                program(),
                (e: unknown) =>
                    e instanceof ConfigError &&
                    /names no pull-only login for the cluster/.test(e.problem) &&
                    /pinned:registryPullUser/.test(e.fix) &&
                    /PINNED_REGISTRY_PULL_USER/.test(e.fix),
            );
            assert.strictEqual(registered.length, 0);
            useMocks(R, stack({ "pinned:registryPullUser": "puller", "pinned:registryPullPassword": bindPassword(reg.host, "pull-pw") }));
            await outputsOf(await program());
            const [secret] = ofType("kubernetes:core/v1:Secret");
            // The document is a Pulumi secret: its value is wrapped.
            const data = (secret.inputs.data as { value: Record<string, string> }).value[".dockerconfigjson"];
            const doc = JSON.parse(Buffer.from(data, "base64").toString()) as {
                auths: Record<string, { username: string; password: string }>;
            };
            assert.deepStrictEqual(Object.keys(doc.auths), [reg.host]);
            assert.strictEqual(doc.auths[reg.host].username, "puller");
            assert.strictEqual(doc.auths[reg.host].password, "pull-pw");
            assert.ok(!JSON.stringify(doc).includes("registry="), "the binding stays in the stack");
        } finally {
            reg.close();
        }
    });

    it("a dirty tree stops the build before any resource", async () => {
        fs.writeFileSync(`${repo.dir}/app/server.py`, "print(2)\n");
        useMocks(R, config());
        await assert.rejects(program(), GitSourceError);
        assert.strictEqual(registered.length, 0);
    });

    it("a moved tag stops the build before any resource", async () => {
        await repo.commit({ "app/server.py": "print(3)\n" });
        await repo.git.tag(["-f", R]);
        useMocks(R, config());
        await assert.rejects(program(), /tag was moved/);
        assert.strictEqual(registered.length, 0);
    });

    const badConfig: Array<[string, Record<string, string>, RegExp]> = [
        ["a short commit", { "pinned:commit": "532aa0f" }, /not a full 40-hex commit/],
        ["no registry", { "pinned:registry": "" }, /pinned:registry is not set/],
        [
            "a tag recorded as the digest",
            { "pinned:imageDigest": "127.0.0.1:5000/pinned/app:2026-11-27-001" },
            /pinned:imageDigest: .*no digest/,
        ],
        ["a release that is not the stack", { "pinned:release": "2026-11-28-001" }, /one stack of its own name/],
    ];
    for (const [what, extra, why] of badConfig) {
        it(`refuses ${what} with a clear message and no resources`, async () => {
            useMocks(R, config(extra));
            await assert.rejects(program(), (e: unknown) => e instanceof ConfigError && why.test(e.problem));
            assert.strictEqual(registered.length, 0);
        });
    }

    it("refuses a stack whose name is not a release", async () => {
        useMocks("dev", config());
        await assert.rejects(program(), /"dev" is not a release name/);
    });
});

/** The Deployment's, Service's and pull Secrets' inputs, and where the provider renders to, as the mock engine saw them. */
interface Manifests {
    readonly deployment: {
        metadata: { name: string; namespace: string; annotations: Record<string, string> };
        spec: {
            replicas: number;
            progressDeadlineSeconds: number;
            template: { spec: { containers: Array<{ ports: Array<{ containerPort: number }>; resources: unknown }> } };
        };
    };
    readonly service: { metadata: { name: string; namespace: string } };
    readonly secrets: number;
    readonly renderedTo: unknown;
}

function manifests(): Manifests {
    const [deployment] = ofType("kubernetes:apps/v1:Deployment");
    const [service] = ofType("kubernetes:core/v1:Service");
    return {
        deployment: deployment.inputs as unknown as Manifests["deployment"],
        service: service.inputs as unknown as Manifests["service"],
        secrets: ofType("kubernetes:core/v1:Secret").length,
        renderedTo: ofType("pulumi:providers:kubernetes")[0].inputs.renderYamlToDirectory,
    };
}

/**
 * For each setting the Deployment takes, stack values other than its
 * defaults and what the manifests show with them. The type asks for a row
 * for every key of DeploymentSettings, so a setting added there does not
 * compile until it has one.
 */
function settingRows(project: string): {
    readonly [K in keyof DeploymentSettings]-?: { stack: Record<string, string>; shown(m: Manifests): unknown; expected: unknown };
} {
    const container = (m: Manifests) => m.deployment.spec.template.spec.containers[0];
    return {
        appName: {
            stack: { "pinned:name": "shop" },
            shown: (m) => [m.deployment.metadata.name, m.service.metadata.name],
            expected: ["shop", "shop"],
        },
        namespace: {
            stack: { "pinned:namespace": "team-a" },
            shown: (m) => [m.deployment.metadata.namespace, m.service.metadata.namespace],
            expected: ["team-a", "team-a"],
        },
        port: { stack: { "pinned:port": "9000" }, shown: (m) => container(m).ports[0].containerPort, expected: 9000 },
        replicas: { stack: { "pinned:replicas": "3" }, shown: (m) => m.deployment.spec.replicas, expected: 3 },
        resources: {
            stack: { "pinned:cpuRequest": "100m", "pinned:cpuLimit": "1", "pinned:memoryRequest": "32Mi", "pinned:memoryLimit": "256Mi" },
            shown: (m) => container(m).resources,
            expected: { requests: { cpu: "100m", memory: "32Mi" }, limits: { cpu: "1", memory: "256Mi" } },
        },
        progressDeadlineSeconds: {
            stack: { "pinned:progressDeadlineSeconds": "300" },
            shown: (m) => [m.deployment.spec.progressDeadlineSeconds, m.deployment.metadata.annotations["pulumi.com/timeoutSeconds"]],
            expected: [300, "330"],
        },
        // The provider renders; the release gives the cluster no pull login
        // then, so no pull Secret (components.test.ts: the Deployment writes
        // none when rendering, even given one).
        renderYamlTo: {
            stack: { "pinned:renderYamlTo": `${project}/rendered` },
            shown: (m) => [m.renderedTo, m.secrets],
            expected: [`${project}/rendered`, 0],
        },
    };
}
