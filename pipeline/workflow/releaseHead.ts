import { simpleGit } from "simple-git";
import { assertCleanTree, readGitSource } from "../../core/git/gitSource";
import { nextReleaseName, ReleaseName } from "../../core/git/releaseName";
import { preflight } from "../../core/preflight";
import { assertRecipePasses } from "../../core/recipe";
import { Context } from "../context";
import { assertReleaseBasesPresent, releaseRecipe } from "../project/releaseRecipe";
import { readReleaseRecord, releaseSettings, stackFilePath } from "../project/stackFile";
import { Steps } from "../steps";
import { deployRelease } from "./deploy";

/** HEAD released: what runs now, the stack file that records it, and whether this run made the tag. */
export interface HeadReleased {
    readonly release: ReleaseName;
    readonly digest: string;
    readonly stackFile: string;
    readonly tagged: boolean;
}

/**
 * The release failed after this run tagged HEAD; the tag was removed
 * again, so nothing was released. `failure` is why it failed.
 */
export class TagRemovedError extends Error {
    constructor(
        readonly tag: ReleaseName,
        readonly failure: unknown,
    ) {
        super(`removed the tag ${tag} after a failed release`);
    }
}

/**
 * `pinned release`: tags HEAD as the next release of today unless it has a
 * release tag, then deploys it as `pinned up` does. A tag this run made is
 * removed again when the release fails (TagRemovedError).
 */
export async function releaseHead(ctx: Context, progress: Steps): Promise<HeadReleased> {
    let made: ReleaseName | undefined;
    try {
        const source = await readGitSource(ctx.projectDir, ctx.env);
        let release = source.releases[0];
        if (!release) {
            assertCleanTree(source, "a release is a commit", "run pinned release again");
            // Refused before a tag exists: a bad recipe leaves no tag behind.
            const recipe = releaseRecipe(ctx, undefined);
            assertRecipePasses(recipe.findings, recipe.recipe);
            await assertReleaseBasesPresent(ctx, recipe);
            release = nextReleaseName((await simpleGit({ baseDir: source.root }).tags()).all);
            await simpleGit({ baseDir: source.root }).addTag(release);
            made = release;
            progress.note(`tagged HEAD (${source.commit.slice(0, 12)}) as ${release}`);
        }
        const record = readReleaseRecord(release, ctx.projectDir);
        // The same checks as pinned up, also for a HEAD tagged before this run.
        await preflight({
            release,
            settings: releaseSettings(ctx, record),
            checkTag: true,
            dir: ctx.projectDir,
            // Read again after tagging: the new tag is part of what is checked.
            source: made ? undefined : source,
            relativeTo: ctx.projectDir,
            env: ctx.env,
        });
        const digest = await deployRelease(
            ctx,
            { release, record, source, commit: record?.commit ?? source.commit, command: `pinned release (${release})` },
            progress,
        );
        return { release, digest, stackFile: stackFilePath(release, ctx.projectDir), tagged: made !== undefined };
    } catch (err) {
        if (!made) {
            throw err;
        }
        await simpleGit({ baseDir: ctx.projectDir })
            .tag(["-d", made])
            .catch(() => undefined);
        throw new TagRemovedError(made, err);
    }
}
