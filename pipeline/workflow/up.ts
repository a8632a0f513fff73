import { GitSourceError } from "../../core/errors";
import { readGitSource } from "../../core/git/gitSource";
import { parseReleaseName, ReleaseName } from "../../core/git/releaseName";
import { preflight } from "../../core/preflight";
import { Context } from "../context";
import { readReleaseRecord, releaseSettings, stackFilePath } from "../project/stackFile";
import { Steps } from "../steps";
import { deployRelease } from "./deploy";
import { DeployRequest } from "./deployRequest";

/** A release deployed: what runs now, and the stack file that records it. */
export interface Deployed {
    readonly release: ReleaseName;
    readonly digest: string;
    readonly stackFile: string;
}

/** `pinned up`: the requested release (default: the release tag at HEAD), checked, then deployed. */
export async function upRelease(ctx: Context, requested: string | undefined, progress: Steps): Promise<Deployed> {
    const request = await chooseRelease(ctx, requested);
    const digest = await deployRelease(ctx, request, progress);
    return { release: request.release, digest, stackFile: stackFilePath(request.release, ctx.projectDir) };
}

/** The release to deploy, after every git check that can refuse it. */
async function chooseRelease(ctx: Context, requested?: string): Promise<DeployRequest> {
    const { projectDir } = ctx;
    const source = await readGitSource(projectDir, ctx.env);
    let release: ReleaseName;
    if (requested !== undefined) {
        release = parseReleaseName(requested);
    } else if (source.releases.length > 0) {
        release = source.releases[0];
    } else {
        const today = new Date().toISOString().slice(0, 10);
        throw new GitSourceError(
            `HEAD (${source.commit.slice(0, 12)}) has no release tag, so there is no release to deploy.`,
            "pinned release tags HEAD as the next release of today and deploys it " +
                `(or tag it yourself, git tag ${today}-001, and run pinned up again).`,
        );
    }
    const record = readReleaseRecord(release, projectDir);
    // The program makes the same checks; made here, a refusal takes a second
    // rather than an engine start. The registry is asked later, with the
    // stack's credentials, before the engine starts.
    await preflight({
        release,
        settings: releaseSettings(ctx, record),
        checkTag: true,
        dir: projectDir,
        source,
        relativeTo: projectDir,
        env: ctx.env,
    });
    return { release, record, source, commit: record?.commit ?? source.commit, command: `pinned up --release ${release}` };
}
