import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { assertBasesPresent, BaseMissingError } from "../../core/baseDrift";
import { localBuilder } from "../../core/builder";
import { PinnedError } from "../../core/errors";
import { assertTagNotMoved } from "../../core/git/gitSource";
import { ReleaseName } from "../../core/git/releaseName";
import { ImageDifference, diffImages } from "../../core/imageDiff";
import { ImageDigest, parseImageDigest, splitImageDigest } from "../../core/imageDigest";
import { provenanceDisagrees } from "../../core/provenance";
import { BUILD_ARGS_LABEL, BUILDER_LABEL, RecipeBuild, recipeBuild } from "../../core/recipe";
import { credentialsFor, findImage, RegistryCredentials } from "../../core/registry";
import { signingTools, verifySignature } from "../../core/signature";
import { writeFileWhole } from "../../core/wholeFile";
import { mirrorHistory } from "../project/baseMirror";
import { Context } from "../context";
import { Env } from "../../core/env";
import { buildReproduciblyWithProgress, extractCommit } from "./reproducibleBuild";
import { releaseRegistry } from "../project/releaseRegistry";
import { readReleaseRecord, releaseSettings } from "../project/stackFile";
import { Steps } from "../steps";

/** A release cannot be rebuilt here: the message names the missing input. */
export class CannotRebuildError extends PinnedError {}

export interface Verification {
    readonly release: string;
    readonly commit: string;
    readonly builder: string;
    /** The digest the release recorded. */
    readonly recorded: string;
    /** The digest the rebuild got (pushed under `verify-<release>`). */
    readonly rebuilt: string;
    /** Undefined when the two are the same image. */
    readonly difference?: ImageDifference;
    /**
     * The recorded image's signature and provenance: undefined when the
     * release key signed it and its provenance names this commit and
     * builder, else why not (or why it was not checked).
     */
    readonly attestationProblem?: string;
}

/**
 * `pinned verify R`: rebuilds release R from its tagged commit with the
 * inputs its image recorded (the builder and its version, the build args,
 * the labels, the base the recipe pins at that commit) and compares the
 * result with the digest the release recorded. The rebuild is pushed under
 * `verify-<R>` in the release's repository, so the registry computes its
 * digest exactly as it did the release's.
 */
export async function verifyRelease(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    release: ReleaseName,
    progress: Steps,
): Promise<Verification> {
    const { projectDir, env } = ctx;
    const record = readReleaseRecord(release, projectDir);
    if (!record?.imageDigest || !record.commit) {
        throw new CannotRebuildError(
            `release ${release} has no recorded ${record?.commit ? "digest" : "commit"} (stacks/Pulumi.${release}.yaml), so there is nothing to compare a rebuild with.`,
            `release it first (pinned up --release ${release}), then verify it.`,
        );
    }
    const { commit } = record;
    const recorded = parseImageDigest(record.imageDigest);
    const tagged = await assertTagNotMoved(projectDir, release, commit, env).catch((err: unknown) => {
        throw err instanceof PinnedError ? new CannotRebuildError(err.problem, err.fix) : err;
    });
    if (tagged === undefined && !hasCommit(projectDir, commit)) {
        throw new CannotRebuildError(
            `release ${release}'s commit ${commit.slice(0, 12)} is not in this clone (and the tag ${release} is not here either).`,
            `fetch it: git fetch origin tag ${release}, then verify again.`,
        );
    }
    const settings = releaseSettings(ctx, record);
    const registry = await releaseRegistry(ctx, release, record);
    if (!registry) {
        throw new CannotRebuildError("no registry to rebuild into.", "run pinned env up, or set PINNED_REGISTRY.");
    }
    const creds = credentialsFor(registry);
    const { repository } = splitImageDigest(recorded);

    const reading = progress.start(`reading ${recorded}`);
    const image = await findImage(repository, splitImageDigest(recorded).digest, creds).catch((err) => {
        reading.fail();
        throw err;
    });
    if (!image) {
        reading.fail();
        throw new CannotRebuildError(
            `the registry no longer has ${recorded}, the image release ${release} recorded: there is nothing to compare a rebuild with.`,
            "restore the image to the registry, or pick another release.",
        );
    }
    reading.done();
    const builderLabel = image.labels[BUILDER_LABEL];
    if (!builderLabel) {
        throw new CannotRebuildError(
            `release ${release}'s image records no builder (no ${BUILDER_LABEL} label): it was built by the Docker engine, ` +
                "whose images record the build's clock, so no rebuild can give the same bytes.",
            "releases built with pinned:builder buildah (the default) can be verified; make a new release to get one.",
        );
    }
    const builder = localBuilder(env);
    if (builder?.label !== builderLabel) {
        throw new CannotRebuildError(
            `release ${release} was built with ${builderLabel}, and this machine has ${builder ? builder.label : "no buildah"}.`,
            `install ${builderLabel} (pinned env up builder installs Debian's), then verify again.`,
        );
    }
    const recipePath = path.relative(projectDir, path.join(settings.appDir, "Dockerfile"));
    const recipeText = gitShow(projectDir, commit, recipePath);
    // A base the registry lost is named, with what it was made from, before building.
    await assertBasesPresent(recipeText, `${recipePath} at ${commit.slice(0, 12)}`, creds, mirrorHistory(ctx.cacheDir)).catch(
        (err: unknown) => {
            // Re-pinning would make another release; a rebuild of this one needs its very base.
            throw err instanceof BaseMissingError ? new CannotRebuildError(err.problem, restoreBase) : err;
        },
    );

    const commitTime = commitTimeOf(projectDir, commit);
    const recipe = recipeAtCommit(ctx, commit, path.relative(projectDir, settings.appDir), {
        release,
        commit,
        commitTime,
        // The clone the release was built in named its origin; this one may name another.
        sourceUrl: image.labels["org.opencontainers.image.source"],
        builder: builderLabel,
    });
    // Recorded args other than the commit's (an image from another commit under
    // this release) make a different image: the comparison below names them.
    assertBuildArgsReadable(image.labels[BUILD_ARGS_LABEL], release);
    const imageName = `${repository}:verify-${release}`;
    const rebuilt = await buildReproduciblyWithProgress(
        {
            repoRoot: projectDir,
            commit,
            commitTime,
            // As pinned up made them, in the same order (buildah records each label as a history entry).
            recipe: {
                context: settings.appDir,
                dockerfile: path.join(settings.appDir, "Dockerfile"),
                buildArgs: recipe.buildArgs,
                labels: recipe.labels,
            },
            imageName,
            registry,
            settings: { ...settings, registry: registry.server },
            logFile: path.join(projectDir, ".pinned", "logs", `verify-${release}.log`),
            env,
        },
        {
            build: `rebuilding ${release} from ${commit.slice(0, 12)} with ${builderLabel}`,
            push: `pushing the rebuild as ${imageName}`,
            what: `rebuilding ${release}`,
        },
        progress,
    );
    const rebuiltRef = parseImageDigest(`${repository}@${rebuilt}`);
    const attestationProblem = await checkAttestation(env, recorded, commit, builderLabel, creds, progress);
    const result = { release, commit, builder: builderLabel, recorded, rebuilt: rebuiltRef, attestationProblem };
    if (rebuiltRef === recorded) {
        if (!attestationProblem) {
            recordVerification(projectDir, result);
        }
        return result;
    }
    const comparing = progress.start("comparing the two images");
    const difference = await diffImages(recorded, rebuiltRef, creds).catch((err: unknown) => {
        comparing.fail();
        throw err;
    });
    comparing.done();
    return { ...result, difference };
}

/** The release key's signature and the provenance of the recorded image: the problem, or undefined. */
async function checkAttestation(
    env: Env,
    recorded: ImageDigest,
    commit: string,
    builder: string,
    creds: RegistryCredentials,
    progress: Steps,
): Promise<string | undefined> {
    const signing = signingTools(env);
    if (!signing) {
        return "its signature was not checked: there is no release public key (npx pinned env up signing, or PINNED_SIGNING_PUBLIC_KEY)";
    }
    const step = progress.start(`checking the release key's signature and the provenance of ${recorded}`);
    const verdict = await verifySignature(recorded, creds, signing, env).catch((err: unknown) => {
        step.fail();
        throw err;
    });
    const problem = verdict.ok ? provenanceDisagrees(verdict.provenance, commit, builder) : verdict.reason;
    step.done(problem ? "does not hold" : "signed; the provenance names this commit and builder");
    return problem;
}

const restoreBase =
    "push the pinned base back to the registry (the recipe at the release's commit pins it): a rebuild needs the very base the release was built on.";

function hasCommit(projectDir: string, commit: string): boolean {
    return spawnSync("git", ["cat-file", "-e", `${commit}^{commit}`], { cwd: projectDir }).status === 0;
}

function gitShow(projectDir: string, commit: string, file: string): string {
    const r = spawnSync("git", ["show", `${commit}:${file}`], { cwd: projectDir, encoding: "utf8" });
    if (r.status !== 0) {
        throw new CannotRebuildError(`the commit ${commit.slice(0, 12)} has no ${file}.`, "check pinned:app in the release's stack file.");
    }
    return r.stdout;
}

function commitTimeOf(projectDir: string, commit: string): string {
    const r = spawnSync("git", ["show", "-s", "--format=%ct", commit], { cwd: projectDir, encoding: "utf8" });
    return new Date(Number(r.stdout.trim()) * 1000).toISOString();
}

/** The build (args and labels) exactly as pinned up made it at the commit: from the commit's own tree. */
function recipeAtCommit(
    ctx: Pick<Context, "projectDir" | "env">,
    commit: string,
    appPath: string,
    args: { release: string; commit: string; commitTime: string; sourceUrl?: string; builder: string },
): RecipeBuild {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-verify-"));
    try {
        extractCommit(ctx.projectDir, commit, tree, ctx.env);
        return recipeBuild({ appDir: path.join(tree, appPath), ...args });
    } finally {
        fs.rmSync(tree, { recursive: true, force: true });
    }
}

/** An image whose build args label is missing or unreadable was made by an earlier pinned, which recorded too little. */
function assertBuildArgsReadable(label: string | undefined, release: string): void {
    try {
        const parsed = JSON.parse(label ?? "") as unknown;
        if (parsed && typeof parsed === "object" && Object.values(parsed).every((v) => typeof v === "string")) {
            return;
        }
    } catch {
        // said below
    }
    throw new CannotRebuildError(
        `release ${release}'s image records no readable build args (${BUILD_ARGS_LABEL}).`,
        "it was built by an earlier pinned; make a new release to verify.",
    );
}

/** The local record `pinned releases` shows: `.pinned/verified/<release>.json`. */
export function verificationFile(release: string, projectDir: string): string {
    return path.join(projectDir, ".pinned", "verified", `${release}.json`);
}

function recordVerification(projectDir: string, v: Omit<Verification, "difference">): void {
    const file = verificationFile(v.release, projectDir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileWhole(file, `${JSON.stringify({ ...v, at: new Date().toISOString() }, null, 2)}\n`, 0o644);
}

/** When release R was last verified identical to the digest it records now, if it was. */
export function lastVerified(release: string, digest: string | undefined, projectDir: string): string | undefined {
    try {
        const v = JSON.parse(fs.readFileSync(verificationFile(release, projectDir), "utf8")) as { recorded?: string; at?: string };
        return digest !== undefined && v.recorded === digest ? v.at : undefined;
    } catch {
        return undefined;
    }
}
