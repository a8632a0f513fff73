import { Env } from "../../core/env";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { epochOf, RecipeBuild } from "../../core/recipe";
import { credentialsFor, isLoopback, writeAuthFile } from "../../core/registry";
import { buildTimeoutSeconds, withDeadline } from "../engine/deadline";
import { lastLines } from "../engine/failure";
import { Steps } from "../steps";
import { Builder, localBuilder } from "../../core/builder";
import { CHILD_VARS, childEnv } from "../../core/childEnv";
import { ImageSettings } from "../../core/settings";

/**
 * Builds a release image bit for bit reproducibly, with buildah (Debian's
 * 1.28.2 measured here): the same commit gives the same manifest and config
 * digests from clean caches, on any machine with the same builder version
 * and the same base in the registry. What makes it so:
 *
 * - the context is `git archive` of the commit (modes 0644/0755 whatever
 *   the checkout's umask), never the working tree;
 * - `--timestamp` = the commit time: every file's mtime and the config's
 *   `created` and history; SOURCE_DATE_EPOCH = the commit time for Python;
 * - the default OCI format (`--format docker` records a random container
 *   ID), no `io.buildah.version` identity label (the builder and version
 *   are recorded in `pinned.builder` instead, by the caller);
 * - `--network host`: a RUN reaches the package mirror on loopback, and no
 *   CNI bridge is created.
 */

/** The builder a build needs (buildah on `env`'s PATH); refused with the command that installs it. */
export function requireBuilder(env: Env): Builder {
    const builder = localBuilder(env);
    if (!builder) {
        throw new PinnedError(
            "buildah is not installed, and pinned:builder buildah (the default) needs it to build the image reproducibly.",
            "run npx pinned env up builder (it installs Debian's buildah), or set pinned:builder to docker.",
        );
    }
    return builder;
}

export interface ReproducibleBuildRequest {
    /** The repository's top directory and the commit to build; the context is `git archive` of it. */
    readonly repoRoot: string;
    readonly commit: string;
    readonly commitTime: string;
    /** The build as recipeBuild made it (context and recipe inside repoRoot, args, labels). */
    readonly recipe: Pick<RecipeBuild, "context" | "dockerfile" | "buildArgs" | "labels">;
    /** `registry/repository:tag` to push to. */
    readonly imageName: string;
    readonly registry: { readonly server: string; readonly username?: string; readonly password?: string };
    /**
     * The stack's image-build settings, whole, as the Docker provider's
     * ReleaseImage gets them: a setting buildah's build reads is read here,
     * and neither caller (a release's build, verify's rebuild) lists it.
     */
    readonly settings: ImageSettings;
    /** buildah's storage; by default an empty one of the build's own, removed after it. */
    readonly storage?: { readonly root: string; readonly runRoot: string };
    readonly signal?: AbortSignal;
    /** Where buildah's output goes (appended). */
    readonly logFile: string;
    /** The caller's environment: buildah's and git's own variables come from it, and PINNED_BUILD_TIMEOUT. */
    readonly env: Env;
}

/** Builds, pushes and resolves to the manifest digest the registry computed (`sha256:…`). */
export async function buildReproducibly(req: ReproducibleBuildRequest, onPhase: (phase: "build" | "push") => void): Promise<string> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-build-"));
    const local = `localhost/pinned-build-${crypto.randomBytes(6).toString("hex")}:latest`;
    // A storage of this build's own, empty: buildah's history records the base
    // under the name it has in the storage ("FROM <name>"), and a shared
    // storage may know the same base by another repository's name (measured:
    // a rebuild then differed in that one field). The base is pulled each time.
    const storage = req.storage ?? { root: path.join(work, "storage"), runRoot: path.join(work, "run") };
    const store = ["--root", storage.root, "--runroot", storage.runRoot, "--storage-driver", "overlay"];
    const tls = `--tls-verify=${!isLoopback(req.registry.server)}`;
    fs.mkdirSync(path.dirname(req.logFile), { recursive: true });
    try {
        const src = path.join(work, "src");
        extractCommit(req.repoRoot, req.commit, src, req.env);
        const context = path.join(src, path.relative(req.repoRoot, req.recipe.context));
        const dockerfile = path.join(src, path.relative(req.repoRoot, req.recipe.dockerfile));
        // Credentials in a file of this build's own (mode 0600), never on a command line.
        const env = childEnv(CHILD_VARS.buildah, { REGISTRY_AUTH_FILE: authFileIn(work, req.registry) }, req.env);
        const epoch = epochOf(req.commitTime);
        onPhase("build");
        await run(
            [
                ...store,
                "bud",
                "--quiet",
                tls,
                "--network",
                "host",
                "--timestamp",
                epoch,
                "--identity-label=false",
                ...Object.entries(req.recipe.buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
                ...Object.entries(req.recipe.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
                "-f",
                dockerfile,
                "-t",
                local,
                context,
            ],
            env,
            req,
        );
        onPhase("push");
        const digestFile = path.join(work, "digest");
        try {
            await run([...store, "push", "--quiet", tls, "--digestfile", digestFile, local, `docker://${req.imageName}`], env, req);
        } finally {
            // The image is in the registry now; the storage goes with the work directory.
            spawnSync("buildah", [...store, "rmi", "--all", "--force"], { env, stdio: "ignore", timeout: 60_000 });
        }
        const digest = fs.readFileSync(digestFile, "utf8").trim();
        if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
            throw new PinnedError(`buildah pushed ${req.imageName} but wrote no digest ("${digest}").`, `see ${req.logFile}.`);
        }
        return digest;
    } finally {
        removeWork(work);
    }
}

/** The build's directory and storage; buildah has unmounted its layers once it exited. */
function removeWork(work: string): void {
    try {
        fs.rmSync(work, { recursive: true, force: true });
    } catch {
        // A layer still mounted (buildah killed mid-build): unmount what is left, then try once more.
        spawnSync("sh", ["-c", `grep -o ' ${work}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: "ignore" });
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/**
 * buildReproducibly under the build's deadline (PINNED_BUILD_TIMEOUT), as
 * two progress steps: `labels.build`, then `labels.push`; the push step
 * ends with the digest.
 */
export async function buildReproduciblyWithProgress(
    req: Omit<ReproducibleBuildRequest, "signal">,
    labels: { readonly build: string; readonly push: string; readonly what: string },
    progress: Steps,
): Promise<string> {
    let step = progress.start(labels.build);
    try {
        const digest = await withDeadline(
            { seconds: buildTimeoutSeconds(req.env), what: labels.what, setting: "PINNED_BUILD_TIMEOUT" },
            (signal) =>
                buildReproducibly({ ...req, signal }, (phase) => {
                    if (phase === "push") {
                        step.done();
                        step = progress.start(labels.push);
                    }
                }),
        );
        step.done(digest);
        return digest;
    } catch (err) {
        step.fail();
        throw err;
    }
}

/** The commit's tree, as git stores it: same bytes and modes from any clone. `env`: the caller's, for git's own variables. */
export function extractCommit(repoRoot: string, commit: string, dest: string, env: Env): void {
    fs.mkdirSync(dest, { recursive: true });
    const archive = spawnSync("git", ["-c", "tar.umask=0022", "archive", "--format=tar", commit], {
        cwd: repoRoot,
        env: childEnv(CHILD_VARS.git, {}, env),
        maxBuffer: 1 << 30,
        timeout: 120_000,
    });
    if (archive.status !== 0) {
        throw new PinnedError(
            `git archive ${commit.slice(0, 12)} failed: ${String(archive.stderr).trim()}`,
            "the build needs the commit in this clone: git fetch it, then run the command again.",
        );
    }
    const untar = spawnSync("tar", ["-x", "-p", "-C", dest], { input: archive.stdout, timeout: 120_000 });
    if (untar.status !== 0) {
        throw new PinnedError(
            `unpacking the commit's tree failed: ${String(untar.stderr).trim()}`,
            `check the free space in ${os.tmpdir()}.`,
        );
    }
}

function authFileIn(dir: string, registry: ReproducibleBuildRequest["registry"]): string {
    const file = path.join(dir, "auth.json");
    writeAuthFile(file, credentialsFor(registry));
    return file;
}

/** One buildah command, its output appended to the log; stopped (SIGTERM, then SIGKILL) when the signal fires. */
function run(
    args: string[],
    env: NodeJS.ProcessEnv,
    req: Pick<ReproducibleBuildRequest, "logFile" | "signal" | "imageName">,
): Promise<void> {
    return new Promise((resolve, reject) => {
        const log = fs.openSync(req.logFile, "a");
        fs.writeSync(log, `\n$ buildah ${args.join(" ")}\n`);
        const child = spawn("buildah", args, { env, stdio: ["ignore", log, log] });
        const stop = () => {
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        };
        req.signal?.addEventListener("abort", stop, { once: true });
        child.on("error", (err) => {
            fs.closeSync(log);
            reject(err);
        });
        child.on("close", (code, sig) => {
            fs.closeSync(log);
            req.signal?.removeEventListener("abort", stop);
            if (code === 0) {
                resolve();
                return;
            }
            const said = lastLines(fs.readFileSync(req.logFile, "utf8"), 6);
            const what = args.includes("bud") ? "build" : "push";
            reject(
                new PinnedError(
                    `building or pushing ${req.imageName} failed (buildah ${what}, ${sig ?? `exit ${code}`}); buildah says:\n` +
                        `${said.replace(/^/gm, "    ")}\n  nothing was deployed.`,
                    `fix the recipe or the registry (full output: ${req.logFile}), commit, and run the command again.`,
                ),
            );
        });
    });
}
