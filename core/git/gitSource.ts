import { SimpleGit, simpleGit } from "simple-git";
import { GitSourceError } from "../errors";
import { GitRef } from "./refTag";
import { isReleaseName, ReleaseName } from "./releaseName";
import { CHILD_VARS, childEnv } from "../childEnv";
import { Env } from "../env";

/** What the working tree says about the code being released. */
export interface GitSource {
    /** Top of the working tree. */
    readonly root: string;
    /** Full 40-hex commit at HEAD. */
    readonly commit: string;
    /** Commit time, ISO 8601 in UTC: the image's `created`, never the clock. */
    readonly commitTime: string;
    /** Uncommitted or untracked changes exist. */
    readonly dirty: boolean;
    /** The changed or untracked paths, relative to `root`. */
    readonly changes: readonly string[];
    /** The checked-out branch, or undefined on a detached HEAD. */
    readonly branch?: string;
    /** Tags pointing at HEAD. */
    readonly tags: readonly string[];
    /** Release tags pointing at HEAD, newest first. */
    readonly releases: readonly ReleaseName[];
    /** The ref the build is named after: a release tag first, else the branch. */
    readonly ref?: GitRef;
    /** `origin`'s URL without credentials, when there is one. */
    readonly remoteUrl?: string;
}

/**
 * git in `dir` with its own variables only: this code also runs in the
 * program, where the engine's PULUMI_CONFIG holds the stack's decrypted
 * secrets (the registry password), and git has no use for them. `env` is
 * the caller's environment, which git's own variables are taken from.
 */
function gitIn(dir: string, env: Env): SimpleGit {
    return simpleGit({ baseDir: dir }).env(childEnv(CHILD_VARS.git, {}, env));
}

/** Reads commit, dirty state, branch and tags of the repository holding `dir`. */
export async function readGitSource(dir: string, env: Env): Promise<GitSource> {
    const git = gitIn(dir, env);
    if (!(await git.checkIsRepo())) {
        throw new GitSourceError(
            `${dir} is not inside a git repository, so its commit cannot be recorded.`,
            "run pinned from a git checkout (git init && git commit), or point pinned:app at one.",
        );
    }
    const root = (await git.revparse(["--show-toplevel"])).trim();
    let commit: string;
    try {
        commit = (await git.revparse(["HEAD"])).trim();
    } catch {
        throw new GitSourceError(`${root} has no commit yet.`, "commit the app before releasing it.");
    }
    const commitTime = new Date((await git.show(["-s", "--format=%cI", commit])).trim()).toISOString();
    const status = await git.status();
    const branchName = (await git.raw(["symbolic-ref", "--quiet", "--short", "HEAD"]).catch(() => "")).trim();
    const tags = (await git.tag(["--points-at", "HEAD"]))
        .split("\n")
        .map((t) => t.trim())
        .filter((t) => t !== "");
    const releases = tags.filter(isReleaseName).sort().reverse();
    const remoteUrl = await originUrl(dir, env);
    const ref: GitRef | undefined =
        releases.length > 0 ? { kind: "tag", name: releases[0] } : branchName ? { kind: "branch", name: branchName } : undefined;
    return {
        root,
        commit,
        commitTime,
        dirty: !status.isClean(),
        changes: status.files.map((f) => f.path),
        branch: branchName || undefined,
        tags,
        releases,
        ref,
        remoteUrl,
    };
}

/** The commit a tag points at (peeled through annotated tags), or undefined. */
export async function commitOfTag(dir: string, tag: string, env: Env): Promise<string | undefined> {
    const git = gitIn(dir, env);
    try {
        return (await git.revparse([`refs/tags/${tag}^{commit}`])).trim();
    } catch {
        return undefined;
    }
}

/**
 * Refuses to build a release from anything but exactly its tagged commit:
 * a dirty tree would ship code no commit describes, and a tag that moved
 * since the release was recorded would ship different code under the same
 * name. `env`: the caller's environment, which git runs with.
 */
export async function assertReleaseSource(
    source: GitSource,
    release: ReleaseName,
    recordedCommit: string | undefined,
    env: Env,
): Promise<void> {
    assertCleanTree(source, "a release must be built from a commit", "release again");
    const tagged = await assertTagNotMoved(source.root, release, recordedCommit, env);
    if (tagged === undefined) {
        throw new GitSourceError(
            `release ${release} has no git tag.`,
            `tag the commit to release: git tag ${release} && git push origin ${release}.`,
        );
    }
    if (tagged !== source.commit) {
        throw new GitSourceError(
            `HEAD is ${source.commit.slice(0, 12)}, but tag ${release} points at ${tagged.slice(0, 12)}.`,
            `check out the release first: git checkout ${release}.`,
        );
    }
}

/**
 * Refuses uncommitted changes (pinned's own stack files excepted): what is
 * built must be exactly a commit, or its commit stamp would lie.
 */
export function assertCleanTree(source: GitSource, why: string, then: string): void {
    const changes = source.changes.filter((p) => !isStackFile(p));
    if (changes.length > 0) {
        const shown = changes.slice(0, 5).join(", ") + (changes.length > 5 ? `, and ${changes.length - 5} more` : "");
        throw new GitSourceError(
            `the working tree at ${source.root} has uncommitted changes (${shown}); ${why}.`,
            `commit or stash them (git status shows them), then ${then}.`,
        );
    }
}

/**
 * Refuses a release tag that points elsewhere than the commit recorded for
 * the release: same name, different code. Resolves to the tagged commit, or
 * undefined when the tag does not exist.
 */
export async function assertTagNotMoved(
    root: string,
    release: ReleaseName,
    recordedCommit: string | undefined,
    env: Env,
): Promise<string | undefined> {
    const tagged = await commitOfTag(root, release, env);
    if (tagged !== undefined && recordedCommit !== undefined && tagged !== recordedCommit) {
        throw new GitSourceError(
            `tag ${release} now points at ${tagged.slice(0, 12)}, ` +
                `but the release was recorded at ${recordedCommit.slice(0, 12)}: the tag was moved.`,
            `put it back (git tag -f ${release} ${recordedCommit}), or make a new release with a new name.`,
        );
    }
    return tagged;
}

/**
 * Stack files are the records pinned itself writes after a release; they
 * describe deployments, not the code, so they do not make a tree dirty.
 */
function isStackFile(p: string): boolean {
    return /(^|\/)stacks\/Pulumi\.[^/]+\.yaml$/.test(p);
}

async function originUrl(dir: string, env: Env): Promise<string | undefined> {
    const remotes = await gitIn(dir, env).getRemotes(true);
    const origin = remotes.find((r) => r.name === "origin");
    if (!origin) {
        return undefined;
    }
    // Never let credentials embedded in a remote URL reach an image label.
    return origin.refs.fetch.replace(/\/\/[^@/]+@/, "//");
}
