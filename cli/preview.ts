import * as fs from "fs";
import { CommandError, LocalWorkspace } from "@pulumi/pulumi/automation";
import { PinnedError } from "../components/errors";
import { assertCleanTree, assertReleaseSource, assertTagNotMoved, GitSource, readGitSource } from "../components/git/gitSource";
import { containerTagFor } from "../components/git/refTag";
import { parseReleaseName } from "../components/git/releaseName";
import { imageBuildProvider } from "../components/imageBuild";
import { hasErrors } from "../components/policy/finding";
import { baseImagesOf } from "../components/policy/recipePolicy";
import { recipeBuild } from "../components/releaseImage";
import { BuildProgress } from "./buildProgress";
import { defaultRegistry, engineEnv, PROJECT_DIR } from "./environment";
import { readLive } from "./live";
import { reportError } from "./output";
import { releaseRecipe } from "./recipe";
import { PREVIEW_EXIT, PreviewBefore, PreviewImage, PreviewPlan, previewOutcome } from "./previewPlan";
import { formatPreviewErrorMarkdown, formatPreviewMarkdown, formatPreviewText } from "./previewReport";
import { Progress } from "./progress";
import { deploymentLocation, listReleaseRecords, readReleaseRecord, ReleaseRecord, releaseSetting } from "./stackFile";

export const PREVIEW_USAGE = `usage: pinned preview [--release R] [--markdown]

Shows what pinned up would change, for a pull request or before a release:
the image (recipe, base, git hash, policy findings) and the Deployment's
image before → after. A new image is built and pushed now, so the digest
after is real. R defaults to the release tag at HEAD; with none, HEAD is
previewed as an unreleased commit. --markdown prints a PR comment body.
Exit codes: 0 no change, 3 the image changes, 1 the release would fail.`;

/** Parses `[--release R] [--markdown]` in any order; anything else is a usage error. */
export function parsePreviewArgs(args: string[]): { release?: string; markdown: boolean } | undefined {
    const out: { release?: string; markdown: boolean } = { markdown: false };
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--markdown" && !out.markdown) {
            out.markdown = true;
        } else if (a === "--release" && out.release === undefined && i + 1 < args.length) {
            out.release = args[++i];
        } else if (a.startsWith("--release=") && out.release === undefined && a.length > "--release=".length) {
            out.release = a.slice("--release=".length);
        } else {
            return undefined;
        }
    }
    return out;
}

export async function previewCommand(args: string[]): Promise<number> {
    const parsed = parsePreviewArgs(args);
    if (!parsed) {
        process.stderr.write(`${PREVIEW_USAGE}\n`);
        return 2;
    }
    // Progress goes to stderr: stdout is the report, often redirected into a comment.
    const progress = new Progress(process.stderr);
    try {
        const plan = await planPreview(parsed.release, progress);
        const outcome = previewOutcome(plan);
        progress.close();
        process.stdout.write(`${parsed.markdown ? formatPreviewMarkdown(plan, outcome) : formatPreviewText(plan, outcome)}\n`);
        return PREVIEW_EXIT[outcome];
    } catch (err) {
        progress.close();
        if (parsed.markdown && err instanceof PinnedError) {
            process.stdout.write(`${formatPreviewErrorMarkdown(err)}\n`);
        }
        return reportError(err, 1);
    }
}

/** Gathers every fact of the preview; builds and pushes when a new image is needed. */
async function planPreview(requested: string | undefined, progress: Progress): Promise<PreviewPlan> {
    Object.assign(process.env, engineEnv());
    const source = await readGitSource(PROJECT_DIR);
    const release = requested !== undefined ? parseReleaseName(requested) : source.releases[0];
    const record = release ? readReleaseRecord(release) : undefined;
    let image: PreviewImage;
    let commit = source.commit;
    if (release && record?.imageDigest) {
        await assertTagNotMoved(source.root, release, record.commit);
        image = { kind: "recorded", digest: record.imageDigest };
        commit = record.commit ?? commit;
    } else {
        if (release) {
            await assertReleaseSource(source, release, record?.commit);
        } else {
            assertCleanTree(source, "a preview describes a commit", "preview again");
        }
        image = await buildImage(source, release, record, progress);
    }
    const { namespace, name } = deploymentLocation();
    return { release, commit, deployment: `${namespace}/${name}`, image, before: readBefore(release) };
}

/** The tag a preview pushes: the release's name, else the branch convention, else the commit. */
export function previewTag(source: Pick<GitSource, "commit" | "branch">, release?: string, env: NodeJS.ProcessEnv = process.env): string {
    if (release) {
        return release;
    }
    // A pull request's checkout is detached; the CI names its branch.
    const branch = env.GITHUB_HEAD_REF || source.branch;
    if (branch) {
        try {
            return containerTagFor({ kind: "branch", name: branch });
        } catch {
            // not a branch the convention names: fall through
        }
    }
    return `preview-${source.commit.slice(0, 12)}`;
}

async function buildImage(source: GitSource, release: string | undefined, record: ReleaseRecord | undefined, progress: Progress): Promise<PreviewImage> {
    const { appDir, dockerfile, recipe: recipePath, findings } = releaseRecipe(record);
    const baseImages = fs.existsSync(dockerfile) ? baseImagesOf(fs.readFileSync(dockerfile, "utf8")) : [];
    const registry = await previewRegistry(release, record);
    const tag = previewTag(source, release);
    const repository = releaseSetting(record, "pinned:repository") ?? "pinned/app";
    const imageName = `${registry?.server ?? "<registry>"}/${repository}:${tag}`;
    const base = { kind: "build" as const, recipe: recipePath, baseImages, findings, imageName };
    if (hasErrors(findings)) {
        return { ...base, unknownBecause: "the recipe breaks the pinning policy (findings below), so it was not built" };
    }
    if (!registry) {
        return { ...base, unknownBecause: "no registry is configured (pinned env up starts one; PINNED_REGISTRY names another), so nothing was built" };
    }
    const recipe = recipeBuild({ appDir, release: release ?? tag, commit: source.commit, commitTime: source.commitTime, sourceUrl: source.remoteUrl });
    const phases = new BuildProgress(progress);
    const started = Date.now();
    try {
        const built = await imageBuildProvider.create!({
            ...recipe,
            imageName,
            registryServer: registry.server,
            registryUsername: registry.username,
            registryPassword: registry.password,
        });
        const digest = String(built.outs.repoDigest);
        return { ...base, digest, reused: built.outs.reused === true, buildSeconds: Math.round((Date.now() - started) / 1000) };
    } catch (err) {
        const reason = (err as Error).message.split("\n").slice(0, 6).join(" ").slice(0, 500);
        return { ...base, buildFailed: true, unknownBecause: `the build failed: ${reason}` };
    } finally {
        phases.close();
    }
}

/** The registry the release would push to: its stack's, else the default one. */
async function previewRegistry(release: string | undefined, record: ReleaseRecord | undefined) {
    const fallback = defaultRegistry();
    const server = record?.config["pinned:registry"]?.value;
    if (!release || !server) {
        return fallback;
    }
    try {
        // The password is a stack secret: the engine decrypts it.
        const stack = await LocalWorkspace.selectStack({ stackName: release, workDir: PROJECT_DIR }, { envVars: engineEnv() });
        const config = await stack.getAllConfig();
        return { server, username: config["pinned:registryUser"]?.value, password: config["pinned:registryPassword"]?.value };
    } catch (err) {
        if (!(err instanceof CommandError)) {
            throw err;
        }
        // A stack file from git without its state here (a fresh CI runner):
        // the default registry's credentials, when it is the same registry.
        return { server, username: record?.config["pinned:registryUser"]?.value ?? fallback?.username, password: fallback?.server === server ? fallback.password : undefined };
    }
}

/**
 * What runs now: the live Deployment when a cluster is reachable; without
 * one (a pull request's CI job, usually) the newest release whose stack
 * file records a digest, since that is what the last `pinned up` deployed.
 */
function readBefore(release: string | undefined): PreviewBefore {
    let why: string;
    try {
        const live = readLive();
        if (live.target.kind === "cluster") {
            return live.deployment
                ? { digest: live.deployment.image, release: live.deployment.release, source: "live" }
                : { source: "none", note: `no Deployment ${live.namespace}/${live.name} in the cluster yet` };
        }
        why = `no cluster to read (${live.target.source})`;
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        why = `the cluster could not be read: ${err.problem}`;
    }
    const recorded = listReleaseRecords().filter((r) => r.imageDigest && r.release !== release);
    const newest = recorded[recorded.length - 1];
    return newest ? { digest: newest.imageDigest, release: newest.release, source: "recorded", note: why } : { source: "none", note: `${why}, and no release has recorded a digest yet` };
}
