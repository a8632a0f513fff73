import * as pulumi from "@pulumi/pulumi";

/**
 * Inputs of one image build-and-push. Everything that decides the image's
 * bytes is an input, so an unchanged input set means no rebuild.
 */
export interface ImageBuildInputs {
    /** `registry/repository:tag` to build and push. */
    readonly imageName: pulumi.Input<string>;
    /** Absolute path of the build context. */
    readonly context: pulumi.Input<string>;
    /** Absolute path of the Dockerfile. */
    readonly dockerfile: pulumi.Input<string>;
    /** sha256 of the build context's files and the Dockerfile (see contextHash.ts). */
    readonly contextHash: pulumi.Input<string>;
    /** `--build-arg` values, recorded in state for the audit trail. */
    readonly buildArgs: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** `--label` values stamped on the image. */
    readonly labels: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Registry host[:port] to log in to. */
    readonly registryServer: pulumi.Input<string>;
    readonly registryUsername?: pulumi.Input<string>;
    /** Never compared for diffs: a rotated password must not rebuild the image. */
    readonly registryPassword?: pulumi.Input<string>;
}

/** Property bags as the engine hands them to the provider: plain values. */
type BuildState = Record<string, unknown>;

/** The properties that, when changed, mean a new image. Credentials are not among them. */
const BUILD_KEYS = ["imageName", "context", "dockerfile", "contextHash", "buildArgs", "labels"];

/** What the state keeps besides the digest; the password is not kept. */
const STATE_KEYS = [...BUILD_KEYS, "registryServer", "registryUsername"];

/**
 * Builds with the Docker engine (BuildKit), pushes, and reports the digest
 * the registry assigned. It runs inside the engine's dynamic-provider host,
 * so it is self-contained: Node built-ins only, no imports from the project.
 */
export const imageBuildProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: BuildState, news: BuildState) {
        const changed = BUILD_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0 || !olds.repoDigest };
    },

    async create(inputs: BuildState) {
        const outs = await buildAndPush(inputs);
        return { id: String(outs.repoDigest), outs };
    },

    async update(_id: string, _olds: BuildState, news: BuildState) {
        return { outs: await buildAndPush(news) };
    },

    // Deleting the resource keeps the image: an older release's stack may
    // still deploy this digest, and rollback depends on it being there.
    async delete() {
        return;
    },
};

async function buildAndPush(inputs: BuildState): Promise<BuildState> {
    const { execFile } = await import("child_process");
    const fs = await import("fs");
    const os = await import("os");
    const path = await import("path");

    // PINNED_DOCKER names a client that can drive BuildKit without the buildx
    // plugin (pinned env sets it to Debian's); otherwise the one on PATH.
    const docker = process.env.PINNED_DOCKER || "docker";
    const run = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) =>
        new Promise<string>((resolve, reject) => {
            const child = execFile(docker, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
                if (err) {
                    const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-25).join("\n");
                    reject(new Error(`docker ${args[0]} failed (exit ${err.code ?? "?"}):\n${tail}`));
                } else {
                    resolve(`${stdout}\n${stderr}`);
                }
            });
            if (stdin !== undefined) {
                child.stdin?.end(stdin);
            }
        });

    // Phases are reported as JSON lines to PINNED_PROGRESS_FILE when set:
    // this code runs in the engine's provider process, and the file is how
    // `pinned` shows build and push as steps of their own (cli/buildProgress.ts).
    const progressFile = process.env.PINNED_PROGRESS_FILE;
    const phase = async <T>(name: "reuse" | "build" | "push", work: () => Promise<T>, detail: (result: T) => string | undefined = () => undefined): Promise<T> => {
        const report = (state: string, text?: string) => progressFile && fs.appendFileSync(progressFile, `${JSON.stringify({ phase: name, state, image: String(inputs.imageName), detail: text })}\n`);
        report("start");
        try {
            const result = await work();
            report("done", detail(result));
            return result;
        } catch (err) {
            report("failed");
            throw err;
        }
    };

    // A private client config: the login stays out of the user's ~/.docker.
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-docker-"));
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: "1" };
    try {
        // Log in first: the base image may come from the same registry.
        if (inputs.registryUsername) {
            await run(
                ["login", "--username", String(inputs.registryUsername), "--password-stdin", String(inputs.registryServer)],
                env,
                String(inputs.registryPassword ?? ""),
            );
        }
        const image = String(inputs.imageName);
        const repository = image.slice(0, image.lastIndexOf(":") > image.lastIndexOf("/") ? image.lastIndexOf(":") : image.length);
        const outs: Record<string, unknown> = {};
        for (const key of STATE_KEYS) {
            outs[key] = inputs[key];
        }

        // An image already under this name that was built from the very same
        // inputs (a `pinned preview` of this release pushed it) is reused, so
        // the digest the preview showed is the digest that ships.
        // The label's name is releaseImage.BUILD_INPUTS_LABEL, written out:
        // this function is serialized into the provider and imports nothing.
        const wanted = ((inputs.labels ?? {}) as Record<string, string>)["pinned.build-inputs"];
        if (wanted) {
            const found = await phase(
                "reuse",
                async () => {
                    if (!(await run(["pull", "--quiet", image], env).then(() => true, () => false))) {
                        return undefined;
                    }
                    const inspected = await run(["image", "inspect", "--format", '{{index .Config.Labels "pinned.build-inputs"}} {{json .RepoDigests}}', image], env);
                    const [label, digestsJson] = inspected.trim().split(/\s+/, 2);
                    const digest = (JSON.parse(digestsJson || "[]") as string[]).find((d) => d.startsWith(`${repository}@sha256:`));
                    return label === wanted ? digest : undefined;
                },
                (digest) => (digest ? `found ${digest}: reused, not rebuilt` : "none: building"),
            );
            if (found) {
                return { ...outs, repoDigest: found, reused: true };
            }
        }

        const args = ["build", "--file", String(inputs.dockerfile), "--tag", image];
        for (const [k, v] of Object.entries((inputs.buildArgs ?? {}) as Record<string, string>).sort()) {
            args.push("--build-arg", `${k}=${v}`);
        }
        for (const [k, v] of Object.entries((inputs.labels ?? {}) as Record<string, string>).sort()) {
            args.push("--label", `${k}=${v}`);
        }
        args.push(String(inputs.context));
        await phase("build", () => run(args, env));

        const pushedDigest = (out: string) => /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
        const pushed = await phase("push", () => run(["push", image], env), pushedDigest);
        const digest = pushedDigest(pushed);
        if (!digest) {
            throw new Error(`docker push ${image} reported no digest; nothing is deployed. Output:\n${pushed.trim()}`);
        }
        return { ...outs, repoDigest: `${repository}@${digest}`, reused: false };
    } finally {
        fs.rmSync(dockerConfig, { recursive: true, force: true });
    }
}

/**
 * One `docker build` + `docker push`, as a Pulumi resource whose output is
 * the digest reference the registry gave the pushed manifest.
 */
export class ImageBuild extends pulumi.dynamic.Resource {
    /** `repository@sha256:…` as reported by the push. Validated by ReleaseImage. */
    declare readonly repoDigest: pulumi.Output<string>;

    constructor(name: string, args: ImageBuildInputs, opts?: pulumi.CustomResourceOptions) {
        super(
            imageBuildProvider,
            name,
            { ...args, repoDigest: undefined },
            opts,
            "pinned",
            "ImageBuild",
        );
    }
}
