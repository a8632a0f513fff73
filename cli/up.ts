import * as fs from "fs";
import * as path from "path";
import { CommandError, LocalWorkspace, Stack, UpResult } from "@pulumi/pulumi/automation";
import { GitSourceError, PinnedError } from "../components/errors";
import { assertReleaseSource, assertTagNotMoved, readGitSource } from "../components/git/gitSource";
import { parseReleaseName, ReleaseName } from "../components/git/releaseName";
import { engineEnv, localRegistry, PROJECT_DIR } from "./environment";
import { paint, reportError } from "./output";
import { readReleaseRecord, ReleaseRecord, stackFilePath } from "./stackFile";
import { chooseTarget, targetEnv } from "./target";

/** The engine's type names of the build: the ReleaseImage component and its ImageBuild. */
const BUILD_TYPES = new Set(["pinned:index:ReleaseImage", "pulumi-nodejs:dynamic/pinned:ImageBuild"]);

export const UP_USAGE = `usage: pinned up [--release R]

Deploys release R (default: the release tag at HEAD) with its own stack.
A new release is built from its tagged commit, pushed, and deployed by
digest; the digest is then recorded in stacks/Pulumi.R.yaml. A release
whose stack already records a digest is redeployed without building.`;

/** Parses `--release R`; anything else is a usage error. */
export function parseUpArgs(args: string[]): { release?: string } | undefined {
    if (args.length === 0) {
        return {};
    }
    if (args.length === 2 && args[0] === "--release") {
        return { release: args[1] };
    }
    const eq = args.length === 1 ? /^--release=(.+)$/.exec(args[0]) : null;
    return eq ? { release: eq[1] } : undefined;
}

export async function upCommand(args: string[]): Promise<number> {
    const parsed = parseUpArgs(args);
    if (!parsed) {
        process.stderr.write(`${UP_USAGE}\n`);
        return 2;
    }
    try {
        return await deploy(await chooseRelease(parsed.release));
    } catch (err) {
        return reportError(err, 1);
    }
}

/** A release that passed every git check, with what its stack file records. */
interface ChosenRelease {
    readonly release: ReleaseName;
    readonly record?: ReleaseRecord;
    /** The commit to record: the one already recorded, else HEAD (which the tag points at). */
    readonly commit: string;
}

/** The release to deploy, after every git check that can refuse it. */
async function chooseRelease(requested?: string): Promise<ChosenRelease> {
    const source = await readGitSource(PROJECT_DIR);
    let release: ReleaseName;
    if (requested !== undefined) {
        release = parseReleaseName(requested);
    } else if (source.releases.length > 0) {
        release = source.releases[0];
    } else {
        const today = new Date().toISOString().slice(0, 10);
        throw new GitSourceError(
            `HEAD (${source.commit.slice(0, 12)}) has no release tag, so there is no release to deploy.`,
            `a release is a git tag named yyyy-mm-dd-NNN: git tag ${today}-001, then run pinned up again.`,
        );
    }
    const record = readReleaseRecord(release);
    if (record?.imageDigest) {
        // Already built: only a moved tag can make this unsafe.
        await assertTagNotMoved(source.root, release, record.commit);
    } else {
        await assertReleaseSource(source, release, record?.commit);
    }
    return { release, record, commit: record?.commit ?? source.commit };
}

async function deploy({ release, record, commit }: ChosenRelease): Promise<number> {
    Object.assign(process.env, engineEnv());
    ensureLocalBackend(process.env.PULUMI_BACKEND_URL ?? "");
    const existed = record !== undefined;
    say(`release ${release} at ${commit.slice(0, 12)}${record?.imageDigest ? " (recorded digest: no build)" : ""}`);

    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: release, workDir: PROJECT_DIR },
        { envVars: engineEnv() },
    );
    try {
        await configure(stack, commit);
        const target = chooseTarget(release, await stack.getAllConfig());
        Object.assign(process.env, targetEnv(target));
        say(target.kind === "render" ? `rendering manifests to ${target.dir} (${target.source})` : `deploying to ${target.source}`);
        // Refresh first so a stack whose state predates another release sees
        // the cluster as it is. Rendered manifests have no cluster to read.
        let result: UpResult;
        try {
            result = await stack.up({ refresh: target.kind === "cluster", onOutput: (out) => process.stdout.write(out) });
        } catch (err) {
            if (err instanceof CommandError) {
                throw new PinnedError(
                    `the update of stack ${release} failed (the engine's output above says why); no digest was recorded.`,
                    "fix the cause and run pinned up again; nothing is left half-done.",
                );
            }
            throw err;
        }
        const digest = result.outputs.digestReference?.value as string | undefined;
        if (!digest) {
            throw new Error("the update finished without a digestReference output");
        }
        if (record?.imageDigest !== digest) {
            await stack.setConfig("pinned:imageDigest", { value: digest });
        }
        await forgetBuild(stack);
        say(`live: ${digest}`);
        say(`recorded in ${path.relative(process.cwd(), stackFilePath(release))}: commit it with the release.`);
        return 0;
    } catch (err) {
        if (!existed) {
            await forgetEmptyStack(stack);
        }
        throw err;
    }
}

/** A file:// backend is a directory; the engine will not create it. */
function ensureLocalBackend(url: string): void {
    if (url.startsWith("file://")) {
        fs.mkdirSync(url.slice("file://".length).replace(/\?.*$/, ""), { recursive: true });
    }
}

/** Records release and commit, and the registry the embedded environment provides. */
async function configure(stack: Stack, commit: string): Promise<void> {
    const current = await stack.getAllConfig();
    const values: Record<string, { value: string; secret?: boolean }> = {
        "pinned:commit": { value: commit },
    };
    const registry = localRegistry();
    if (!current["pinned:registry"] && registry) {
        values["pinned:registry"] = { value: registry.server };
        values["pinned:registryUser"] = { value: registry.username };
        values["pinned:registryPassword"] = { value: registry.password, secret: true };
    }
    // One write, so a failure leaves no partly configured stack file.
    await stack.setAllConfig(values);
}

/**
 * Once the digest is recorded the stack never builds again, so the build
 * resource leaves its state here rather than showing up as a deletion in
 * the next preview (its delete would be a no-op: images are kept). The
 * Deployment's dependency on it goes too; `pulumi state delete` refuses
 * resources that others depend on, so this edits the exported state.
 */
async function forgetBuild(stack: Stack): Promise<void> {
    const state = await stack.exportStack();
    const deployment = state.deployment as { resources?: StateResource[] };
    const builds = new Set((deployment.resources ?? []).filter((r) => BUILD_TYPES.has(r.type)).map((r) => r.urn));
    if (builds.size === 0) {
        return;
    }
    deployment.resources = (deployment.resources ?? [])
        .filter((r) => !builds.has(r.urn))
        .map((r) => ({
            ...r,
            dependencies: r.dependencies?.filter((d) => !builds.has(d)),
            propertyDependencies: r.propertyDependencies
                ? Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.filter((d) => !builds.has(d))]))
                : undefined,
        }));
    await stack.importStack(state);
}

/** The parts of a state resource this file touches. */
interface StateResource {
    urn: string;
    type: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

/** A failed first `up` that created nothing leaves no stack behind. */
async function forgetEmptyStack(stack: Stack): Promise<void> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: unknown[] }).resources ?? [];
    if (resources.length <= 1) {
        await stack.workspace.removeStack(stack.name);
        fs.rmSync(stackFilePath(stack.name), { force: true });
    }
}

function say(text: string): void {
    process.stdout.write(`${paint(process.stdout, "bold", "pinned:")} ${text}\n`);
}
