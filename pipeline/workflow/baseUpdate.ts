import { credentialsFor } from "../../core/registry";
import * as fs from "fs";
import * as path from "path";
import { simpleGit } from "simple-git";
import { BaseRepin, describeState, repinBases } from "../../core/baseImage";
import { lookUpBases } from "../../core/baseDrift";
import { ConfigError, GitSourceError, PinnedError } from "../../core/errors";
import { writeFileWhole } from "../../core/wholeFile";
import { mirrorHistory } from "../project/baseMirror";
import { defaultRegistry } from "../project/localEnvironment";
import { Context } from "../context";
import { Steps } from "../steps";

/** One base a re-pin moved: from the digest the recipe pinned to the one its tag now serves. */
export interface BaseMove {
    readonly line: number;
    /** `host/path:tag`. */
    readonly image: string;
    readonly from?: string;
    readonly to: string;
    /** The archive state of the new base, when it carries one. */
    readonly state?: string;
}

export interface BaseUpdateResult {
    readonly moves: readonly BaseMove[];
    /** The commit made with `commit: true`, when something moved. */
    readonly commit?: string;
    /** Who the commit names when git had no identity configured here. */
    readonly identity?: string;
}

/**
 * `pinned base update`: re-pins each base of the recipe that lives in the
 * release's registry to the digest its tag serves there now, the way a
 * digest bump from Renovate does: the FROM line gets the new digest (tag
 * kept), and a `# base:` comment above it says what that base was made
 * from. With `commit`, only the recipe is committed, so a release of HEAD
 * then builds on a base the registry holds.
 */
export async function updateBases(
    ctx: Pick<Context, "env" | "cacheDir">,
    opts: { dockerfile: string; projectDir: string; commit: boolean },
    progress: Steps,
): Promise<BaseUpdateResult> {
    const { dockerfile, projectDir } = opts;
    const shown = path.relative(projectDir, dockerfile);
    const registry = defaultRegistry(ctx.env);
    if (!registry) {
        throw new ConfigError(
            "no registry to read base images from: the embedded one is not set up and PINNED_REGISTRY is not set.",
            "run npx pinned env up, or set PINNED_REGISTRY (with _USER and _PASSWORD).",
        );
    }
    if (!fs.existsSync(dockerfile)) {
        throw new ConfigError(`${shown} does not exist.`, "name the recipe: pinned base update path/to/Dockerfile.");
    }
    const git = simpleGit({ baseDir: path.dirname(dockerfile) });
    if (opts.commit && (await git.status(["--", dockerfile])).files.length > 0) {
        throw new GitSourceError(
            `${shown} has uncommitted changes, and --commit commits the whole file.`,
            `commit or stash them first, or run pinned base update without --commit and commit ${shown} yourself.`,
        );
    }
    const text = fs.readFileSync(dockerfile, "utf8");
    const step = progress.start(`reading the base images of ${shown} in ${registry.server}`);
    const creds = credentialsFor(registry);
    const lookups = await lookUpBases(text, creds, true).catch((err) => {
        step.fail();
        throw err;
    });
    step.done(`${lookups.length} base image${lookups.length === 1 ? "" : "s"} in ${registry.server}`);
    if (lookups.length === 0) {
        throw new PinnedError(
            `${shown} has no base image in ${registry.server} (the registry a release pushes to), so there is nothing to re-pin.`,
            "re-pin bases in other registries by hand: FROM image:tag@sha256:<digest>.",
        );
    }
    const gone = lookups.filter((l) => !l.current && !l.present);
    if (gone.length > 0) {
        throw new PinnedError(
            gone
                .map((l) => `${shown}:${l.base.line}: ${registry.server} has neither ${l.base.written} nor anything under its tag.`)
                .join("\n  "),
            `push the base to ${registry.server} (pinned env up makes the embedded one), or pin another in ${shown}.`,
        );
    }
    const history = mirrorHistory(ctx.cacheDir);
    const moves: BaseMove[] = [];
    const repins: BaseRepin[] = [];
    for (const { base, current } of lookups) {
        if (!current || current.digest === base.digest) {
            continue;
        }
        const state = describeState(current.state && { ...current.state, ...history(current.digest) });
        moves.push({ line: base.line, image: `${base.repository}:${base.tag}`, from: base.digest, to: current.digest, state });
        repins.push({ line: base.line, digest: current.digest, note: state });
    }
    if (moves.length === 0) {
        return { moves };
    }
    writeFileWhole(dockerfile, repinBases(text, repins), fs.statSync(dockerfile).mode & 0o777);
    if (!opts.commit) {
        return { moves };
    }
    const message = commitMessage(shown, moves);
    const hasIdentity = await git.raw(["var", "GIT_COMMITTER_IDENT"]).then(
        () => true,
        () => false,
    );
    // No user.name/user.email here (a fresh machine): the commit says who made it.
    const config = hasIdentity ? [] : ["user.name=pinned base update", "user.email=pinned@localhost"];
    await simpleGit({ baseDir: path.dirname(dockerfile), config }).raw(["commit", "--quiet", "-m", message, "--", dockerfile]);
    const commit = (await git.revparse(["HEAD"])).trim();
    return { moves, commit, ...(hasIdentity ? {} : { identity: "pinned base update <pinned@localhost>" }) };
}

function commitMessage(recipe: string, moves: readonly BaseMove[]): string {
    const states = [...new Set(moves.map((m) => m.state).filter((s): s is string => s !== undefined))];
    const subject = `Re-pin the base of ${recipe} to the registry's build${states.length === 1 ? ` (${states[0].split(",")[0]})` : ""}`;
    const body = moves.map(
        (m) =>
            `${recipe}:${m.line} ${m.image}\n  was ${m.from ?? "(no digest)"}\n  now ${m.to}${m.state ? `\n  made from ${m.state}` : ""}`,
    );
    return [subject, "", ...body, "", "Made by pinned base update."].join("\n");
}
