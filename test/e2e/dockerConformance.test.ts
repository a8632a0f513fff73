import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, LocalEnv, registryDigest, requireLocalEnv } from "./support/localEnv";
import { PulumiProgram } from "./support/pulumiProgram";

/**
 * Programs written as Pulumi's docs and the pulumi-docker examples write
 * them, run with the real engine and the embedded docker plugin against the
 * embedded Docker engine and registry; each asserts what the docs say the
 * outputs are. Only the registry is changed, to the embedded one.
 */
describe("the embedded docker plugin runs programs written for the official one", function () {
    this.timeout(15 * 60 * 1000);
    let env: LocalEnv;
    let server: string;
    const run = crypto.randomBytes(3).toString("hex");
    const programs: PulumiProgram[] = [];

    function program(name: string, files: Record<string, string>): PulumiProgram {
        const p = PulumiProgram.create(name, files, env);
        programs.push(p);
        return p;
    }

    function dockerfile(extra = ""): string {
        return `FROM ${env.baseRef}\n${extra}COPY hello.txt /hello.txt\n`;
    }

    /**
     * The registry's credentials as a program gets them: stack config, the
     * password a secret. The provider's registryAuth address carries the
     * scheme, as a plain-HTTP registry needs.
     */
    function withRegistryConfig(p: PulumiProgram): PulumiProgram {
        p.config("registryUser", env.registry.username);
        p.config("registryPassword", env.registry.password, true);
        return p;
    }
    const REGISTRY_PROVIDER = (server: string) => `const config = new pulumi.Config();
const provider = new docker.Provider("registry", {
    registryAuth: [{ address: "http://${server}", username: config.require("registryUser"), password: config.requireSecret("registryPassword") }],
});
`;

    function inspect(ref: string, format: string): string {
        return docker(env, ["image", "inspect", ref, "--format", format]).trim();
    }

    before(() => {
        env = requireLocalEnv();
        server = env.registry.server;
    });

    after(() => {
        for (const p of programs) {
            const r = p.remove();
            if (r.status !== 0) {
                console.error(`could not destroy ${p.dir}:\n${r.output}`);
            }
        }
    });

    describe("docker.Image (the plugin's own resource), the docs' build-and-push example", () => {
        let p: PulumiProgram;
        const repository = `conformance-${run}/push-image`;

        before(() => {
            p = program("image-push", {
                "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

const demoPushImage = new docker.Image("demo-push-image", {
    build: {
        context: ".",
        dockerfile: "Dockerfile",
    },
    imageName: "${server}/${repository}:tag1",
});
export const imageName = demoPushImage.imageName;
export const repoDigest = demoPushImage.repoDigest;
`,
                Dockerfile: dockerfile(),
                "hello.txt": "hello\n",
            });
        });

        it("builds and pushes; repoDigest is the registry's digest of the pushed tag", async () => {
            const r = p.up();
            assert.strictEqual(r.status, 0, r.output);
            const out = p.outputs();
            assert.strictEqual(out.imageName, `${server}/${repository}:tag1`);
            const pushed = await registryDigest(env, repository, "tag1");
            assert.ok(pushed, "the tag is in the registry");
            assert.strictEqual(out.repoDigest, `${server}/${repository}@${pushed}`);
        });

        it("an unchanged context is no change; an edited file is an update (not a replacement) with a new digest", async () => {
            const before = String(p.outputs().repoDigest);
            const imageOps = () =>
                p
                    .previewSteps()
                    .filter((s) => s.type === "docker:index/image:Image" && s.op !== "same")
                    .map((s) => s.op);
            assert.deepStrictEqual(imageOps(), []);
            p.write("hello.txt", "hello again\n");
            assert.deepStrictEqual(imageOps(), ["update"]);
            const r = p.up();
            assert.strictEqual(r.status, 0, r.output);
            const after = String(p.outputs().repoDigest);
            assert.notStrictEqual(after, before);
            assert.strictEqual(after, `${server}/${repository}@${await registryDigest(env, repository, "tag1")}`);
        });

        it("destroy leaves the pushed image in the registry, as the official plugin does", async () => {
            const digest = await registryDigest(env, repository, "tag1");
            const r = p.pulumi(["destroy", "--yes", "--skip-preview"]);
            assert.strictEqual(r.status, 0, r.output);
            assert.strictEqual(await registryDigest(env, repository, "tag1"), digest);
        });
    });

    it("docker.Image with skipPush (the docs' first example): built locally, repoDigest is the image ID, nothing pushed", async () => {
        const name = `conformance-${run}/image:tag1`;
        const p = program("image-local", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

const demoImage = new docker.Image("demo-image", {
    build: {
        context: ".",
        dockerfile: "Dockerfile",
        platform: "linux/amd64",
    },
    imageName: "${name}",
    skipPush: true,
});
export const imageName = demoImage.imageName;
export const repoDigest = demoImage.repoDigest;
`,
            Dockerfile: dockerfile(),
            "hello.txt": "local\n",
        });
        const r = p.up();
        assert.strictEqual(r.status, 0, r.output);
        const out = p.outputs();
        assert.strictEqual(out.imageName, name);
        assert.strictEqual(out.repoDigest, inspect(name, "{{.Id}}"));
    });

    for (const builderVersion of ["BuilderV1", "BuilderBuildKit"]) {
        it(`docker.Image's build options with ${builderVersion}: args reach the build, target picks the stage`, () => {
            const name = `conformance-${run}/options-${builderVersion.toLowerCase()}:1`;
            const p = program(`image-options-${builderVersion.toLowerCase()}`, {
                "index.ts": `import * as docker from "@pulumi/docker";

const image = new docker.Image("options", {
    build: {
        context: "./app",
        dockerfile: "./app/Dockerfile",
        args: { GREETING: "hello from args" },
        target: "chosen",
        builderVersion: docker.BuilderVersion.${builderVersion},
    },
    imageName: "${name}",
    skipPush: true,
});
export const repoDigest = image.repoDigest;
`,
                "app/Dockerfile": `FROM ${env.baseRef} AS chosen\nARG GREETING\nLABEL greeting=$GREETING stage=chosen\nFROM chosen AS later\nLABEL stage=later\n`,
            });
            const r = p.up();
            assert.strictEqual(r.status, 0, r.output);
            assert.strictEqual(inspect(name, '{{index .Config.Labels "greeting"}}'), "hello from args");
            assert.strictEqual(inspect(name, '{{index .Config.Labels "stage"}}'), "chosen");
            assert.strictEqual(p.outputs().repoDigest, inspect(name, "{{.Id}}"));
        });
    }

    it("docker.Image pushes with the registry input's credentials (a secret), and reports the registry server", async () => {
        const repository = `conformance-${run}/with-registry`;
        const p = program("image-registry", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

const config = new pulumi.Config();
const image = new docker.Image("app", {
    build: { context: "." },
    imageName: "${server}/${repository}:v1",
    registry: {
        server: "${server}",
        username: config.require("registryUser"),
        password: config.requireSecret("registryPassword"),
    },
});
export const repoDigest = image.repoDigest;
export const registryServer = image.registryServer;
export const baseImageName = image.baseImageName;
`,
            Dockerfile: dockerfile(),
            "hello.txt": "registry\n",
        });
        withRegistryConfig(p);
        // An empty Docker client configuration: the registry input's
        // credentials alone pull the base and push the image.
        const noLogin = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-no-docker-login-"));
        try {
            const r = p.pulumi(["up", "--yes", "--skip-preview"], { DOCKER_CONFIG: noLogin });
            assert.strictEqual(r.status, 0, r.output);
        } finally {
            fs.rmSync(noLogin, { recursive: true, force: true });
        }
        const out = p.outputs();
        assert.strictEqual(out.registryServer, server);
        assert.strictEqual(out.baseImageName, `${server}/${repository}:v1`);
        assert.strictEqual(out.repoDigest, `${server}/${repository}@${await registryDigest(env, repository, "v1")}`);
        const state = p.pulumi(["stack", "export"]);
        assert.doesNotMatch(
            state.stdout,
            new RegExp(env.registry.password.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
            "the password is not in the state in clear",
        );
    });

    it("a missing Dockerfile is refused before anything is built, with the path to use", () => {
        const p = program("image-bad-dockerfile", {
            "index.ts": `import * as docker from "@pulumi/docker";
new docker.Image("bad", { build: { context: "./app", dockerfile: "Dockerfile" }, imageName: "conformance/bad:1", skipPush: true });
`,
            "app/Dockerfile": dockerfile(),
            "app/hello.txt": "x\n",
        });
        const r = p.up();
        assert.notStrictEqual(r.status, 0);
        assert.match(r.output, /set it to "app\/Dockerfile"/);
    });

    it("RemoteImage builds (labels applied, as the official plugin applies them) and RegistryImage pushes: sha256Digest is the registry's", async () => {
        const repository = `conformance-${run}/somename`;
        const p = program("remote-registry", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
${REGISTRY_PROVIDER(server)}
const image = new docker.RemoteImage("image", {
    name: "${server}/${repository}:1.0",
    build: {
        context: \`\${process.cwd()}/absolutePathToContextFolder\`,
        labels: { "org.example.team": "blue" },
    },
}, { provider });
const helloworld = new docker.RegistryImage("helloworld", {
    name: image.name,
    keepRemotely: true,
}, { provider });
export const sha256Digest = helloworld.sha256Digest;
`,
            "absolutePathToContextFolder/Dockerfile": dockerfile(),
            "absolutePathToContextFolder/hello.txt": "remote\n",
        });
        withRegistryConfig(p);
        const r = p.up();
        assert.strictEqual(r.status, 0, r.output);
        assert.strictEqual(p.outputs().sha256Digest, await registryDigest(env, repository, "1.0"));
        assert.strictEqual(inspect(`${server}/${repository}:1.0`, '{{index .Config.Labels "org.example.team"}}'), "blue");
    });

    it("the RemoteImage docs example as written: buildArg and label accepted, both tags built", () => {
        const p = program("remote-zoo", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

const zoo = new docker.RemoteImage("zoo", {
    name: "zoo-${run}",
    build: {
        context: ".",
        tags: ["zoo-${run}:develop"],
        buildArg: {
            foo: "zoo",
        },
        label: {
            author: "zoo",
        },
    },
});
`,
            Dockerfile: dockerfile("ARG foo\nLABEL foo=$foo\n"),
            "hello.txt": "zoo\n",
        });
        const r = p.up();
        assert.strictEqual(r.status, 0, r.output);
        assert.strictEqual(inspect(`zoo-${run}`, '{{index .Config.Labels "foo"}}'), "zoo", "buildArg reached the build");
        assert.strictEqual(inspect(`zoo-${run}:develop`, "{{.Id}}"), inspect(`zoo-${run}`, "{{.Id}}"));
    });

    it("getRegistryImage + Tag: the registry's digest of a tag, and a second name for a local image", () => {
        const repoTag = env.baseTagged;
        const target = `conformance-${run}/tagged:v1`;
        const p = program("registry-tag", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
${REGISTRY_PROVIDER(server)}
const base = docker.getRegistryImageOutput({ name: "${repoTag}" }, { provider });
const pulled = new docker.RemoteImage("base", {
    name: base.name,
    pullTriggers: [base.sha256Digest],
    keepLocally: true,
}, { provider });
const tag = new docker.Tag("tag", {
    sourceImage: pulled.imageId,
    targetImage: "${target}",
}, { provider });
export const sha256Digest = base.sha256Digest;
export const sourceImageId = tag.sourceImageId;
`,
        });
        withRegistryConfig(p);
        const r = p.up();
        assert.strictEqual(r.status, 0, r.output);
        const out = p.outputs();
        assert.strictEqual(`${repoTag.slice(0, repoTag.lastIndexOf(":"))}@${String(out.sha256Digest)}`, env.baseRef);
        assert.strictEqual(inspect(target, "{{.Id}}"), out.sourceImageId);
    });

    it("Container, Network and Volume without names are auto-named <name>-<7 hex> and the container runs", () => {
        const p = program("container-autoname", {
            "index.ts": `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

const image = new docker.RemoteImage("python", { name: "${env.baseRef}", keepLocally: true });
const network = new docker.Network("net", {});
const volume = new docker.Volume("data", {});
const container = new docker.Container("app", {
    image: image.imageId,
    command: ["sleep", "600"],
    networksAdvanced: [{ name: network.name }],
    volumes: [{ volumeName: volume.name, containerPath: "/data" }],
});
export const containerName = container.name;
export const networkName = network.name;
export const volumeName = volume.name;
`,
        });
        const r = p.up();
        assert.strictEqual(r.status, 0, r.output);
        const out = p.outputs();
        assert.match(String(out.containerName), /^app-[0-9a-f]{7}$/);
        assert.match(String(out.networkName), /^net-[0-9a-f]{7}$/);
        assert.match(String(out.volumeName), /^data-[0-9a-f]{7}$/);
        assert.strictEqual(
            docker(env, ["container", "inspect", String(out.containerName), "--format", "{{.State.Running}}"]).trim(),
            "true",
        );
    });

    it("a Container whose command exits at once fails the update and leaves no container behind", () => {
        const name = `conformance-${run}-exits`;
        const p = program("container-exits", {
            "index.ts": `import * as docker from "@pulumi/docker";

const image = new docker.RemoteImage("python", { name: "${env.baseRef}", keepLocally: true });
new docker.Container("exits", { name: "${name}", image: image.imageId, command: ["true"] });
`,
        });
        const r = p.up();
        assert.notStrictEqual(r.status, 0, r.output);
        assert.match(r.output, /container exited immediately/);
        assert.strictEqual(docker(env, ["ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.ID}}"]).trim(), "");
    });

    it("Network.checkDuplicate refuses a name that is taken", () => {
        const name = `conformance-${run}-dup`;
        docker(env, ["network", "create", name]);
        try {
            const p = program("network-duplicate", {
                "index.ts": `import * as docker from "@pulumi/docker";
new docker.Network("dup", { name: "${name}", checkDuplicate: true });
`,
            });
            const r = p.up();
            assert.notStrictEqual(r.status, 0, r.output);
            assert.match(r.output, new RegExp(`network with name ${name} already exists`));
        } finally {
            docker(env, ["network", "rm", name]);
        }
    });
});
