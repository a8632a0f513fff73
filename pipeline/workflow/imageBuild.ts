import { credentialsFor } from "../../core/registry";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError, LocalWorkspace, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { ImageDigest, parseImageDigest } from "../../core/imageDigest";
import { PinnedError } from "../../core/errors";
import { GitSource } from "../../core/git/gitSource";
import { imageProgram, ImageProgramRequest } from "../../program/imageProgram";
import { RecipeBuild, recipeBuild } from "../../core/recipe";
import { provenanceOfBuild } from "../../core/provenance";
import { Builder as LocalBuilder } from "../../core/builder";
import { findReusableBuild } from "../../core/reusableBuild";
import { requireReleaseSigning, signRelease } from "../../core/signature";
import { buildReproduciblyWithProgress, requireBuilder } from "./reproducibleBuild";
import { assertBasesPresent } from "../../core/baseDrift";
import { mirrorHistory } from "../project/baseMirror";
import { Context } from "../context";
import { EngineProgress } from "../engine/progress";
import { engineCommand, withoutResultReadback } from "../engine/workspace";
import { buildTimeoutSeconds, withDeadline } from "../engine/deadline";
import { engineStderr, lastLines } from "../engine/failure";
import { engineEnv } from "../engine/environment";
import { Steps } from "../steps";

/**
 * One image to build: what the image-build program reads (the recipe at a
 * commit, the build's settings, the push password), and what only the
 * workflow needs: the checkout (buildah builds from it) and whether to sign.
 */
export interface ImageRequest extends ImageProgramRequest {
    readonly source: Pick<GitSource, "root" | "commit" | "commitTime" | "remoteUrl">;
    /**
     * A release run: the image it builds is signed with the release key and
     * gets its provenance and SBOM attached. A preview signs nothing (it
     * holds no key).
     */
    readonly sign: boolean;
}

export interface BuiltImage {
    readonly digest: ImageDigest;
    /** `registry/repository:tag`. */
    readonly imageName: string;
    /** Already in the registry from identical inputs: nothing was built. */
    readonly reused: boolean;
    readonly seconds: number;
}

/**
 * Builds and pushes a release's image before its stack is updated, so the
 * release stack itself only ever deploys a digest: its state holds no build
 * resources, and a preview of it shows the very digest the update ships.
 *
 * The build is the program's own ReleaseImage component (the Docker
 * provider's RemoteImage and RegistryImage), run by the engine as a small
 * inline program whose state lives in a temporary directory: the image is
 * what lasts, in the registry, under its tag and digest.
 */
export async function buildImage(ctx: Context, req: ImageRequest, progress: Steps, early?: BuildStack): Promise<BuiltImage> {
    const started = Date.now();
    const { settings } = req;
    const repository = `${settings.registry}/${settings.repository}`;
    const imageName = `${repository}:${req.tag}`;
    const buildah = settings.builder === "buildah" ? requireBuilder(ctx.env) : undefined;
    const recipe = recipeBuild({
        appDir: settings.appDir,
        release: req.release,
        commit: req.source.commit,
        commitTime: req.source.commitTime,
        sourceUrl: req.source.remoteUrl,
        builder: buildah?.label,
    });
    const creds = credentialsFor(pushLogin(req));

    // A base the registry lost (or never had: Debian's archive moved since
    // the recipe was pinned) is said here, before the engine starts, with
    // the command that re-pins it, not as the builder's "not found".
    const checking = progress.start("checking the recipe's base images in the registry");
    await assertBasesPresent(
        fs.readFileSync(recipe.dockerfile, "utf8"),
        path.relative(ctx.projectDir, recipe.dockerfile),
        creds,
        mirrorHistory(ctx.cacheDir),
    ).catch((err) => {
        checking.fail();
        throw err;
    });
    checking.done();

    // Before anything is built: a release that cannot sign its image stops here.
    const signer = req.sign ? requireReleaseSigning(ctx.env) : undefined;
    const provenance = provenanceOfBuild(req.release, req.source, recipe, buildah?.label ?? "docker");

    const look = progress.start(`looking for an identical build of ${imageName}`);
    const found = await findReusableBuild(repository, req.tag, recipe, provenance, creds, ctx.env).catch((err) => {
        look.fail();
        throw err;
    });
    look.done(
        found.digest
            ? `found ${found.digest}, signed by the release key: reused, not rebuilt`
            : found.candidate
              ? `found ${found.candidate}, but ${found.reason}: building`
              : "none: building",
    );
    if (found.digest) {
        return { digest: found.digest, imageName, reused: true, seconds: seconds(started) };
    }
    const built = await buildOnly(ctx, req, recipe, buildah, imageName, repository, progress, early);
    if (signer) {
        const step = progress.start(`signing ${built} (signature, SBOM, provenance)`);
        await signRelease(built, provenance, creds, signer, ctx.env).catch((err) => {
            step.fail();
            throw err;
        });
        step.done();
    }
    return { digest: built, imageName, reused: false, seconds: seconds(started) };
}

/** Builds and pushes, with buildah here or the Docker provider in the engine; the pushed digest. */
async function buildOnly(
    ctx: Context,
    req: ImageRequest,
    recipe: RecipeBuild,
    buildah: LocalBuilder | undefined,
    imageName: string,
    repository: string,
    progress: Steps,
    early: BuildStack | undefined,
): Promise<ImageDigest> {
    if (buildah) {
        const digest = await buildReproduciblyWithProgress(
            {
                repoRoot: req.source.root,
                commit: req.source.commit,
                commitTime: req.source.commitTime,
                recipe,
                imageName,
                registry: pushLogin(req),
                settings: req.settings,
                logFile: path.join(ctx.projectDir, ".pinned", "logs", `build-${req.tag}.log`),
                env: ctx.env,
            },
            {
                build: `building ${imageName} with ${buildah.label} (reproducible: commit time ${req.source.commitTime})`,
                push: `pushing ${imageName}`,
                what: `building and pushing ${imageName}`,
            },
            progress,
        );
        return parseImageDigest(`${repository}@${digest}`);
    }

    // The caller's stack if it started one early (the caller disposes of it), else one of its own now.
    const stage = early ?? new BuildStack(ctx);
    const events = new EngineProgress(progress, { summary: false });
    try {
        // A Docker engine or registry that stops answering must not hold the locks forever.
        const result = await withDeadline(
            { seconds: buildTimeoutSeconds(ctx.env), what: `building and pushing ${imageName}`, setting: "PINNED_BUILD_TIMEOUT" },
            (signal) => stage.up(req, { onEvent: events.onEvent, signal }),
        ).then(() => events.stackOutputs);
        return parseImageDigest(String(result.imageDigest ?? ""));
    } catch (err) {
        if (err instanceof CommandError) {
            const said = lastLines(engineStderr(err) ?? "", 6);
            throw new PinnedError(
                `building or pushing ${imageName} failed` +
                    (said ? `; the engine says:\n${said.replace(/^/gm, "    ")}\n  ` : " (the lines above say why); ") +
                    "nothing was deployed.",
                "fix the recipe or the registry, commit, and run the command again.",
            );
        }
        throw err;
    } finally {
        events.close();
        if (!early) {
            await stage.dispose();
        }
    }
}

/**
 * The build's engine stack: a small inline program whose state lives in a
 * temporary directory. Creating it (`pulumi stack init`, about 0.5 s) needs
 * nothing from the image request, so a caller that knows a build may
 * follow starts it early, in parallel with its own work, and disposes of
 * it when done; the program reads the request only when `up` runs it.
 * The engine runs with the context's environment (engine/environment.ts).
 */
export class BuildStack {
    private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-build-"));
    private request: ImageRequest | undefined;
    private readonly stack: Promise<Stack>;

    constructor(ctx: Pick<Context, "projectDir" | "env" | "cacheDir">) {
        // The program reads the request only when up() has set it.
        const program = async () => imageProgram(this.request);
        const dir = this.dir;
        this.stack = engineCommand(ctx).then((pulumiCommand) =>
            // A new directory: there is no stack to select, only one to create.
            LocalWorkspace.createStack(
                { stackName: "build", projectName: "pinned-image", program },
                {
                    workDir: dir,
                    projectSettings: { name: "pinned-image", runtime: "nodejs", backend: { url: `file://${dir}` } },
                    // This state is thrown away with its directory; its passphrase too.
                    envVars: {
                        ...engineEnv(ctx),
                        PULUMI_BACKEND_URL: `file://${dir}`,
                        PULUMI_CONFIG_PASSPHRASE_FILE: throwawayPassphrase(dir),
                    },
                    pulumiCommand,
                },
            ),
        );
        // Awaited by up() or dispose(); a stack never used must not be an unhandled rejection.
        this.stack.catch(() => undefined);
    }

    /** Builds and pushes the image: one `pulumi up` of the inline program. */
    async up(req: ImageRequest, opts: { onEvent: UpOptions["onEvent"]; signal: AbortSignal }): Promise<void> {
        this.request = req;
        await withoutResultReadback(await this.stack).up(opts);
    }

    /** Removes the stack's directory, once its creation has finished. */
    async dispose(): Promise<void> {
        await this.stack.catch(() => undefined);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The registry the image is pushed to, and the login that pushes. */
function pushLogin(req: ImageRequest): { server: string; username?: string; password?: string } {
    return { server: req.settings.registry, username: req.settings.registryUser, password: req.registryPassword };
}

/** A passphrase for a state that is thrown away with its directory, as a file (0600) in it. */
function throwawayPassphrase(dir: string): string {
    const file = path.join(dir, ".passphrase");
    fs.writeFileSync(file, crypto.randomBytes(16).toString("hex"), { mode: 0o600 });
    return file;
}

function seconds(since: number): number {
    return Math.round((Date.now() - since) / 1000);
}
