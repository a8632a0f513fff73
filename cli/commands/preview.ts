import { Finding } from "../../core/policy/finding";
import * as fs from "fs";
import { simpleGit } from "simple-git";
import { PinnedError } from "../../core/errors";
import { assertCleanTree, GitSource, readGitSource } from "../../core/git/gitSource";
import { preflight } from "../../core/preflight";
import { containerTagFor } from "../../core/git/refTag";
import { nextReleaseName, parseReleaseName } from "../../core/git/releaseName";
import { hasErrors } from "../../core/policy/finding";
import { baseImagesOf } from "../../core/policy/recipePolicy";
import { finalBase } from "../../core/baseImage";
import { splitImageDigest } from "../../core/imageDigest";
import { credentialsFor, findImage } from "../../core/registry";
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL } from "../../core/recipe";
import { PROJECT_DIR } from "../../release/project/projectDir";
import { buildImage } from "../../release/workflow/imageBuild";
import { readLive } from "../../release/cluster/live";
import { releaseRegistry } from "../../release/project/releaseRegistry";
import { reportError } from "../ui/output";
import { releaseRecipe, releaseRecipePaths } from "../../release/project/releaseRecipe";
import { PREVIEW_EXIT, PreviewBefore, PreviewImage, PreviewPlan, previewOutcome } from "../../release/workflow/preview";
import { formatPreviewErrorMarkdown, formatPreviewMarkdown, formatPreviewText } from "../ui/previewReport";
import { Progress } from "../ui/progress";
import { deploymentLocation, listReleaseRecords, readReleaseRecord, ReleaseRecord, releaseSettings } from "../../release/project/stackFile";
import { previewStack } from "../../release/engine/preview";
import { removingTemporaryDirsOnSignal } from "../../release/project/temporaryDirs";
import { chooseTarget } from "../../release/cluster/target";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { Context, createContext } from "../../release/context";

export const PREVIEW_COMMAND: CommandSpec = {
    name: "preview",
    options: {
        release: { type: "string", value: "R", help: "the release to preview (default: the release tag at HEAD)" },
        markdown: { type: "boolean", help: "print a pull-request comment body" },
    },
    description: `Shows what pinned up would change, for a pull request or before a release:
the engine's preview of the release's stack against what runs now (each
resource's operation and changed properties, old → new), the Deployment's
image before → after, and the image's recipe, base, commit and policy
findings. A new image is built and pushed first, so its digest is real.
Without a release tag at HEAD, HEAD is previewed as the next release of
today. Nothing of yours changes: the engine runs on a temporary copy of the
stack. Exit codes: 0 no change, 3 changes, 1 the release would fail.`,
};
export const PREVIEW_USAGE = usageOf(PREVIEW_COMMAND);

/** Parses `[--release R] [--markdown]` in any order; anything else is a usage error. */
export function parsePreviewArgs(args: string[]): { release?: string; markdown: boolean } | undefined {
    const line = parseCommandLine(PREVIEW_COMMAND, args);
    if (!line) {
        return undefined;
    }
    const release = line.values.release;
    return { ...(typeof release === "string" ? { release } : {}), markdown: line.values.markdown === true };
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
        const plan = await removingTemporaryDirsOnSignal("the preview", () => planPreview(parsed.release, progress));
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

/**
 * Gathers every fact of the preview: the image (recorded, or built and
 * pushed now so its digest is known), then the engine's preview of the
 * stack the change would be released as, against what runs now.
 */
async function planPreview(requested: string | undefined, progress: Progress): Promise<PreviewPlan> {
    const ctx = createContext(PROJECT_DIR, process.env, { cluster: true });
    const source = await readGitSource(ctx.projectDir, ctx.env);
    const release = requested !== undefined ? parseReleaseName(requested) : source.releases[0];
    const record = release ? readReleaseRecord(release, ctx.projectDir) : undefined;
    let image: PreviewImage;
    let commit = source.commit;
    if (release) {
        // The same checks as pinned up; a recipe's findings are shown, not refused.
        const plan = await preflight({
            release,
            settings: releaseSettings(ctx, record),
            checkTag: true,
            dir: ctx.projectDir,
            source,
            relativeTo: ctx.projectDir,
            policy: "report",
            env: ctx.env,
        });
        if (plan.kind === "recorded") {
            image = { kind: "recorded", digest: plan.digest };
            commit = record?.commit ?? commit;
        } else {
            image = await previewImage(ctx, source, release, record, plan.findings, progress);
        }
    } else {
        assertCleanTree(source, "a preview describes a commit", "preview again");
        image = await previewImage(ctx, source, release, record, releaseRecipe(ctx, record).findings, progress);
    }
    const { namespace, name } = deploymentLocation(record, ctx.projectDir);
    const before = await withBase(await readBefore(release, record), image, () => releaseRegistry(ctx, release, record));
    // An unreleased commit is previewed as the release it would become next.
    const stack = release ?? nextReleaseName(await allTags(source.root));
    const plan = { release, stack, commit, deployment: `${namespace}/${name}`, image, before };
    if (!image.digest) {
        return plan;
    }
    const step = progress.start(`previewing stack ${stack} with the engine`);
    try {
        const engine = await previewStack({
            stack,
            commit,
            digest: image.digest,
            stateFrom: [stack, ...(before.release && before.release !== stack ? [before.release] : [])],
            target: chooseTarget(ctx, stack, record?.config ?? {}, { renderWithoutCluster: true }),
            // The preview's own build is in the preview repository.
            repository: image.kind === "build" ? previewRepository(releaseSettings(ctx, record).repository) : undefined,
        });
        step.done(engine.errors.length > 0 ? "failed" : `${engine.changes.length} resource change(s)`);
        return { ...plan, engine };
    } catch (err) {
        step.fail();
        throw err;
    }
}

async function allTags(root: string): Promise<string[]> {
    return (await simpleGit({ baseDir: root }).tags()).all;
}

/** Where previews push: `<repository>-preview`, next to the releases' repository. */
export function previewRepository(repository: string): string {
    return `${repository}-preview`;
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

/** Builds and pushes the image a release of this commit would ship, with the same component `pinned up` uses. */
async function previewImage(
    ctx: Context,
    source: GitSource,
    release: string | undefined,
    record: ReleaseRecord | undefined,
    findings: readonly Finding[],
    progress: Progress,
): Promise<PreviewImage> {
    // The findings come from the caller's preflight: the recipe is judged once.
    const { appDir, dockerfile, recipe: recipePath } = releaseRecipePaths(ctx, record);
    const text = fs.existsSync(dockerfile) ? fs.readFileSync(dockerfile, "utf8") : "";
    const baseImages = baseImagesOf(text);
    const registry = await releaseRegistry(ctx, release, record);
    const tag = previewTag(source, release);
    const settings = releaseSettings(ctx, record);
    const { strictPolicy, builder } = settings;
    // Previews push to a repository of their own: a pull request's image is
    // never where a release looks for one to reuse.
    const repository = previewRepository(settings.repository);
    const imageName = `${registry?.server ?? "<registry>"}/${repository}:${tag}`;
    const base = {
        kind: "build" as const,
        recipe: recipePath,
        baseImages,
        finalBase: finalBase(text),
        findings,
        imageName,
        reproducible: builder === "buildah",
    };
    if (hasErrors(findings)) {
        return { ...base, unknownBecause: "the recipe breaks the pinning policy (findings below), so it was not built" };
    }
    if (!registry) {
        return {
            ...base,
            unknownBecause: "no registry is configured (pinned env up starts one; PINNED_REGISTRY names another), so nothing was built",
        };
    }
    try {
        const built = await buildImage(
            ctx,
            {
                appDir,
                tag,
                release: release ?? tag,
                source,
                strictPolicy,
                builder,
                registry: { server: registry.server, repository, username: registry.username, password: registry.password },
                // A preview (a pull request's code) holds no release key.
                sign: false,
            },
            progress,
        );
        return { ...base, digest: built.digest, reused: built.reused, buildSeconds: built.seconds };
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        return { ...base, buildFailed: true, unknownBecause: `the build failed: ${err.problem}` };
    }
}

/**
 * The base the image before was built on, read from its labels, when the
 * image after is built here (a recorded release has no recipe to compare):
 * a re-pinned base then shows as a base change.
 */
async function withBase(before: PreviewBefore, image: PreviewImage, registryOf: RegistryOf): Promise<PreviewBefore> {
    if (image.kind !== "build" || !before.digest) {
        return before;
    }
    try {
        const registry = await registryOf();
        if (!registry) {
            return before;
        }
        const { repository, digest } = splitImageDigest(before.digest);
        const found = await findImage(repository, digest, credentialsFor(registry));
        const name = found?.labels[BASE_NAME_LABEL];
        const baseDigest = found?.labels[BASE_DIGEST_LABEL];
        return name ? { ...before, base: baseDigest ? `${name}@${baseDigest}` : name } : before;
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        return before; // an image the registry cannot show: no base to compare, the rest of the preview stands
    }
}

type RegistryOf = () => ReturnType<typeof releaseRegistry>;

/**
 * What runs now where the release goes: the live Deployment when a cluster is reachable; without
 * one (a pull request's CI job, usually) the newest release whose stack
 * file records a digest, since that is what the last `pinned up` deployed.
 */
async function readBefore(release: string | undefined, record: ReleaseRecord | undefined): Promise<PreviewBefore> {
    let why: string;
    try {
        // Where this release goes (its stack file), or where the releases go.
        const live = await readLive({ record, renderWithoutCluster: true });
        if (live.target.kind === "cluster") {
            return live.deployment
                ? {
                      digest: live.deployment.image,
                      release: live.deployment.release,
                      source: "live",
                      // A rollout under way or failed is part of what runs now.
                      note:
                          live.deployment.rollout.kind === "complete"
                              ? undefined
                              : `rollout ${live.deployment.rollout.kind}: ${live.deployment.rollout.detail}`,
                  }
                : { source: "none", note: `no Deployment ${live.namespace}/${live.name} in the cluster yet` };
        }
        why = `no cluster to read (${live.target.source})`;
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        why = `the cluster could not be read: ${err.problem}`;
    }
    const recorded = listReleaseRecords(PROJECT_DIR).filter((r) => r.imageDigest && r.release !== release);
    const newest = recorded[recorded.length - 1];
    return newest
        ? { digest: newest.imageDigest, release: newest.release, source: "recorded", note: why }
        : { source: "none", note: `${why}, and no release has recorded a digest yet` };
}
