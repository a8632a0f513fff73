import * as path from "path";
import { GitSourceError } from "../../core/errors";
import { readGitSource } from "../../core/git/gitSource";
import { parseReleaseName, ReleaseName } from "../../core/git/releaseName";
import { preflight } from "../../core/preflight";
import { CommandSpec, parseCommandLine, usageOf } from "../args";
import { deployRelease } from "../../release/workflow/deploy";
import { DeployRequest } from "../../release/workflow/deployRequest";
import { PROJECT_DIR } from "../../release/project/projectDir";
import { Context, createContext } from "../../release/context";
import { reportError } from "../ui/output";
import { Progress } from "../ui/progress";
import { readReleaseRecord, releaseSettings, stackFilePath } from "../../release/project/stackFile";

export const UP_COMMAND: CommandSpec = {
    name: "up",
    options: { release: { type: "string", value: "R", help: "the release to deploy (default: the release tag at HEAD)" } },
    description: `Deploys release R with its own stack. A new release is built from its
tagged commit, pushed, and deployed by digest; the digest is then recorded
in stacks/Pulumi.R.yaml. A release whose stack already records a digest is
redeployed without building; when it is live as its last update left it
and nothing the program reads changed, the engine is not started. Another
pinned up or rollback on the same deploy target is waited for
(PINNED_LOCK_TIMEOUT seconds, default 600; 0 refuses at once).`,
};
export const UP_USAGE = usageOf(UP_COMMAND);

/** Parses `[--release R]`; anything else is a usage error. */
export function parseUpArgs(args: string[]): { release?: string } | undefined {
    const line = parseCommandLine(UP_COMMAND, args);
    return line && (typeof line.values.release === "string" ? { release: line.values.release } : {});
}

export async function upCommand(args: string[]): Promise<number> {
    const parsed = parseUpArgs(args);
    if (!parsed) {
        process.stderr.write(`${UP_USAGE}\n`);
        return 2;
    }
    const progress = new Progress(process.stdout);
    try {
        const ctx = createContext(PROJECT_DIR, process.env, { cluster: true });
        const request = await chooseRelease(ctx, parsed.release);
        const digest = await deployRelease(ctx, request, progress);
        progress.note(`live: ${digest}`);
        progress.note(
            `recorded in ${path.relative(process.cwd(), stackFilePath(request.release, ctx.projectDir))}: commit it with the release.`,
        );
        return 0;
    } catch (err) {
        progress.close();
        return reportError(err, 1);
    }
}

/** The release to deploy, after every git check that can refuse it. */
async function chooseRelease(ctx: Context, requested?: string): Promise<DeployRequest> {
    const source = await readGitSource(ctx.projectDir, ctx.env);
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
    const record = readReleaseRecord(release, ctx.projectDir);
    // The program makes the same checks; made here, a refusal takes a second
    // rather than an engine start. The registry is asked later, with the
    // stack's credentials, before the engine starts.
    await preflight({
        release,
        settings: releaseSettings(ctx, record),
        checkTag: true,
        dir: ctx.projectDir,
        source,
        relativeTo: ctx.projectDir,
        env: ctx.env,
    });
    return { release, record, source, commit: record?.commit ?? source.commit, command: `pinned up --release ${release}` };
}
