import * as path from "path";
import { simpleGit } from "simple-git";
import { assertCleanTree, readGitSource } from "../../core/git/gitSource";
import { nextReleaseName, ReleaseName } from "../../core/git/releaseName";
import { assertRecipePasses } from "../../core/recipe";
import { deployRelease } from "../../release/workflow/deploy";
import { PROJECT_DIR } from "../../release/project/projectDir";
import { createContext } from "../../release/context";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";
import { assertReleaseBasesPresent, releaseRecipe } from "../../release/project/releaseRecipe";
import { readReleaseRecord, releaseSettings, stackFilePath } from "../../release/project/stackFile";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { preflight } from "../../core/preflight";

export const RELEASE_COMMAND: CommandSpec = {
    name: "release",
    description: `Makes a release of HEAD and deploys it: tags HEAD with the next release
name of today (yyyy-mm-dd-NNN) unless it already has a release tag, then
does what pinned up does. If the deploy fails, a tag this command made is
removed again. Run on a fresh clone after pinned env up, it releases the
example app onto the embedded cluster.`,
};
export const RELEASE_USAGE = usageOf(RELEASE_COMMAND);

export async function releaseCommand(args: string[]): Promise<number> {
    if (!parseCommandLine(RELEASE_COMMAND, args)) {
        process.stderr.write(`${RELEASE_USAGE}\n`);
        return 2;
    }
    const progress = new Progress(process.stdout);
    let made: ReleaseName | undefined;
    try {
        const ctx = createContext(PROJECT_DIR, process.env, { cluster: true });
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
        progress.note(`live: ${digest}`);
        progress.note(
            `recorded in ${path.relative(process.cwd(), stackFilePath(release, ctx.projectDir))}: commit it with the release` +
                (made ? `, and push the tag (git push origin ${release}).` : "."),
        );
        progress.line(nextSteps());
        return 0;
    } catch (err) {
        progress.close();
        if (made) {
            await simpleGit({ baseDir: PROJECT_DIR })
                .tag(["-d", made])
                .catch(() => undefined);
            process.stderr.write(`pinned: removed the tag ${made} this run made; nothing was released.\n`);
        }
        return reportError(err, 1);
    }
}

function nextSteps(): string {
    return [
        "",
        "next:",
        "  npx pinned status                        what runs, and whether it matches its release",
        "  edit app/, commit, npx pinned preview    what releasing that commit would change",
        "  npx pinned release                       release that commit (the next release of today)",
        "  npx pinned releases                      every release; npx pinned rollback goes back one",
        '  eval "$(npx pinned env shell)"           then pulumi stack ls, kubectl get deployments',
    ].join("\n");
}
