import { simpleGit } from "simple-git";
import { assertCleanTree, readGitSource } from "../../core/git/gitSource";
import { nextReleaseName, parseReleaseName } from "../../core/git/releaseName";
import { hasErrors } from "../../core/policy/finding";
import { preflight } from "../../core/preflight";
import { chooseTarget } from "../cluster/target";
import { Context } from "../context";
import { EnginePreview, previewStack } from "../engine/preview";
import { releaseRecipe } from "../project/releaseRecipe";
import { releaseRegistry } from "../project/releaseRegistry";
import { deploymentLocation, readReleaseRecord, releaseSettings } from "../project/stackFile";
import { removingTemporaryDirsOnSignal } from "../project/temporaryDirs";
import { Steps } from "../steps";
import { PreviewBefore, readBefore, withBase } from "./previewBefore";
import { buildPreviewImage, PreviewImage, previewRepository } from "./previewImage";

export interface PreviewPlan {
    /** The release being previewed; undefined for a commit not tagged yet (a pull request). */
    readonly release?: string;
    /** The stack the change would be released as: the release, or the next release name of today. */
    readonly stack: string;
    readonly commit: string;
    readonly deployment: string;
    readonly image: PreviewImage;
    readonly before: PreviewBefore;
    /** The engine's preview of the stack; absent when the image could not be made. */
    readonly engine?: EnginePreview;
}

export type PreviewOutcome = "no-change" | "change" | "error";

/** Exit codes: 0 no change, 3 the stack changes, 1 an up would fail. */
export const PREVIEW_EXIT: Record<PreviewOutcome, number> = { "no-change": 0, change: 3, error: 1 };

/**
 * A recipe the policy refuses, a build that failed, or an engine preview
 * that failed means the release would fail: that is an error. Otherwise the
 * engine's preview decides; without one (no registry to build into) the
 * image changes unless the digest after is known and equal to the one running.
 */
export function previewOutcome(plan: PreviewPlan): PreviewOutcome {
    if (plan.image.kind === "build" && (hasErrors(plan.image.findings) || plan.image.buildFailed)) {
        return "error";
    }
    if (plan.engine) {
        return plan.engine.errors.length > 0 ? "error" : plan.engine.changes.length > 0 ? "change" : "no-change";
    }
    const after = plan.image.digest;
    return after !== undefined && after === plan.before.digest ? "no-change" : "change";
}

/**
 * Gathers every fact of the preview: the image (recorded, or built and
 * pushed now so its digest is known), then the engine's preview of the
 * stack the change would be released as, against what runs now. The
 * engine works on temporary copies, removed also when the preview is
 * interrupted.
 */
export function planPreview(ctx: Context, requested: string | undefined, progress: Steps): Promise<PreviewPlan> {
    return removingTemporaryDirsOnSignal("the preview", () => gatherPreview(ctx, requested, progress));
}

async function gatherPreview(ctx: Context, requested: string | undefined, progress: Steps): Promise<PreviewPlan> {
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
            image = await buildPreviewImage(ctx, source, release, record, plan.findings, progress);
        }
    } else {
        assertCleanTree(source, "a preview describes a commit", "preview again");
        image = await buildPreviewImage(ctx, source, release, record, releaseRecipe(ctx, record).findings, progress);
    }
    const { namespace, name } = deploymentLocation(record, ctx.projectDir);
    const before = await withBase(await readBefore(ctx, release, record), image, () => releaseRegistry(ctx, release, record));
    // An unreleased commit is previewed as the release it would become next.
    const stack = release ?? nextReleaseName(await allTags(source.root));
    const plan = { release, stack, commit, deployment: `${namespace}/${name}`, image, before };
    if (!image.digest) {
        return plan;
    }
    const step = progress.start(`previewing stack ${stack} with the engine`);
    try {
        const engine = await previewStack(ctx, {
            stack,
            commit,
            digest: image.digest,
            stateFrom: [stack, ...(before.release && before.release !== stack ? [before.release] : [])],
            target: await chooseTarget(ctx, stack, record?.config ?? {}, { renderWithoutCluster: true }),
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
