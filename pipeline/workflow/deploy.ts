import * as fs from "fs";
import * as path from "path";
import { ConfigMap, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parseImageDigest } from "../../core/imageDigest";
import { ConfigError, PinnedError } from "../../core/errors";
import { ReleaseName } from "../../core/git/releaseName";
import { assertInRegistry } from "../../core/preflight";
import { RegistryCredentials } from "../../core/registry";
import { stackInBackendFiles } from "../engine/backendFiles";
import { leaseSeconds, withClusterLease } from "../cluster/lease";
import { buildTimeoutSeconds } from "../engine/deadline";
import { existingStack, projectWorkspace } from "../engine/workspace";
import { engineEnv } from "../engine/environment";
import { clearGoneEngineLocks } from "../engine/backendLocks";
import { runUpdate, UpdateFailedError } from "../engine/update";
import { explainFailure, wrongPassphrase } from "../engine/failure";
import { BuildStack, buildImage, ImageRequest } from "./imageBuild";
import { interrupted, InterruptedError, withInterrupts } from "../engine/interrupt";
import { inputsFingerprint, recordUpdate, unchangedSinceLastUpdate } from "./noopProof";
import { LiveDeployment, readLiveDeployment } from "../cluster/live";
import { leaseLostSignal } from "../cluster/leaseLoss";
import { lockWaitMs, targetLockPath, withTargetLock } from "../locks/lockFile";
import { clearPendingOperations } from "./pendingOperations";
import { dropNewEmptyStack, putBackPrevious } from "./putBackPrevious";
import { additions, liveDrift, removeAdditions } from "./driftRepair";
import { confirmRollout } from "../cluster/rollout";
import { configure, ensureLocalBackend, forgetNewStack } from "../project/stackSetup";
import { projectName, recordImageDigest, releaseSettings, stackFilePath } from "../project/stackFile";
import { stackLogin } from "../project/stackLogin";
import { Steps } from "../steps";
import { DeployRequest } from "./deployRequest";
import { chooseTarget, DeployTarget, targetEnv } from "../cluster/target";
import { Context } from "../context";
import { locksDir } from "../locks/holding";

/**
 * Selects (or creates) the release's stack and, under the deploy target's lock,
 * builds and pushes the image (unless a digest is recorded), runs one
 * update of the stack, and records the digest. A failed first update
 * leaves no stack behind. Resolves to the image digest that is now live
 * (or rendered).
 *
 * Atomic on a cluster: when the update changed the live Deployment but
 * failed (its new pods never became ready within the progress deadline),
 * the release that was live before is put back through its own stack (the
 * rollback path: its recorded digest, no build), and the error says why the
 * pods failed, the end of their log, and what is live now.
 */
export async function deployRelease(ctx: Context, req: DeployRequest, progress: Steps): Promise<string> {
    const { release, record, commit } = req;
    progress.note(`release ${release} at ${commit.slice(0, 12)}${record?.imageDigest ? " (recorded digest: no build)" : ""}`);

    // Where the release goes decides which lock it takes, so read the
    // target from the stack file before touching the stack.
    const target = await chooseTarget(ctx, release, record?.config ?? {});
    return withInterrupts(progress, () => deployLocked(ctx, req, target, progress));
}

async function deployLocked(ctx: Context, req: DeployRequest, target: DeployTarget, progress: Steps): Promise<string> {
    const { record } = req;
    const { namespace, appName } = releaseSettings(ctx, record);
    const waitMs = lockWaitMs(ctx.env);
    // Checked before any lock is taken.
    const leaseS = leaseSeconds(ctx.env);
    buildTimeoutSeconds(ctx.env);
    const locks = locksDir(ctx.cacheDir);
    // The lock file keeps releases on this machine apart; on a cluster the
    // Lease next to the Deployment keeps apart every machine deploying there.
    const inLease = <T>(fn: () => Promise<T>): Promise<T> =>
        target.kind === "cluster"
            ? withClusterLease(
                  {
                      kubectl: ctx.kubectl,
                      kubeconfig: target.kubeconfig,
                      namespace,
                      deployment: appName,
                      command: req.command,
                      waitMs,
                      durationSeconds: leaseS,
                      progress,
                      locksDir: locks,
                  },
                  fn,
              )
            : fn();
    return withTargetLock(targetLockPath(target, { namespace, name: appName }, locks), req.command, { waitMs, progress }, () => {
        // The stack is found and its settings are read while the Lease is
        // taken and the live Deployment read (about 0.4 s of the engine's
        // config command, in parallel): only reads, under the lock file.
        const opened = openStack(ctx, req.release, target);
        opened.catch(() => undefined); // awaited below; a refused Lease must not leave it unhandled
        return inLease(async () => {
            // Read to know what to put back; a Deployment that does not exist
            // yet, or that kubectl cannot read, leaves nothing to put back.
            const readLive = async (): Promise<LiveDeployment | undefined | "unreadable"> => {
                try {
                    return target.kind === "cluster" ? await readLiveDeployment(ctx, target.kubeconfig, namespace, appName) : undefined;
                } catch {
                    return "unreadable";
                }
            };
            const read = await readLive();
            const before = read === "unreadable" ? undefined : read;
            try {
                return await updateRelease(ctx, req, target, progress, await opened, before);
            } catch (err) {
                // Only a cluster's live Deployment can have changed, and only an
                // interrupt or a failed update leaves it changed to report. A
                // lost Lease puts nothing back: another release may deploy now.
                if (target.kind !== "cluster" || leaseLostSignal()?.aborted || !(interrupted() || err instanceof UpdateFailedError)) {
                    throw err;
                }
                const after = await readLive();
                if (after === "unreadable" || !after || (after.image === before?.image && after.release === before?.release)) {
                    // Nothing to put back: say what is live, as far as the cluster tells.
                    const where = `${namespace}/${appName}`;
                    const live =
                        after === "unreadable"
                            ? `What is live on ${where} could not be read (the cluster did not answer); pinned status tells once it does.`
                            : after
                              ? `Live now: ${where} still runs ${after.image} (release ${after.release ?? "unknown"}), as before.`
                              : `Live now: there is no Deployment ${where}.`;
                    if (!(err instanceof UpdateFailedError)) {
                        throw err;
                    }
                    const dropped = await dropNewEmptyStack(err, ctx.projectDir);
                    throw err.withLive(dropped ? `${live}\n  ${dropped}` : live);
                }
                if (interrupted()) {
                    // Cleaned up, not put back: the person stopped it. Say what runs.
                    throw new InterruptedError(
                        `interrupted while release ${req.release} was rolling out: ${namespace}/${appName} now runs its image ` +
                            `${after.image}, and the rollout goes on; ${req.release} recorded no digest.`,
                        before?.release
                            ? `finish it with pinned up --release ${req.release}, or go back with pinned rollback --to ${before.release}.`
                            : `finish it with pinned up --release ${req.release}.`,
                    );
                }
                throw await putBackPrevious(ctx, {
                    req,
                    failure: err as UpdateFailedError,
                    before,
                    target,
                    namespace,
                    appName,
                    progress,
                    update: async (previous) =>
                        updateRelease(ctx, previous, target, progress, await openStack(ctx, previous.release, target)),
                });
            }
        });
    });
}

/** A release's stack as found before its update: the workspace, whether the stack exists, and its settings if it does. */
interface OpenedStack {
    readonly workspace: LocalWorkspace;
    readonly existed: boolean;
    /** The stack's config, read as found; undefined for a stack that does not exist yet. */
    readonly config: ConfigMap | undefined;
}

async function openStack(ctx: Context, release: string, target: DeployTarget): Promise<OpenedStack> {
    const env = engineEnv(ctx);
    ensureLocalBackend(env.PULUMI_BACKEND_URL);
    // The engine reaches the target through its own environment variables.
    const workspace = await projectWorkspace(ctx, targetEnv(target), { render: target.kind === "render" });
    const existed =
        stackInBackendFiles(env.PULUMI_BACKEND_URL, projectName(ctx.projectDir), release) ??
        (await workspace.listStacks()).some((s) => s.name === release);
    if (!existed) {
        return { workspace, existed, config: undefined };
    }
    const config = await namingWrongPassphrase(release, existingStack(release, workspace).getAllConfig());
    return { workspace, existed, config };
}

/** The first read of a stack's secrets is where a wrong passphrase shows: said as such, not as the engine's error. */
function namingWrongPassphrase<T>(release: string, read: Promise<T>): Promise<T> {
    return read.catch((err: unknown) => {
        throw wrongPassphrase(err, release) ?? err;
    });
}

/**
 * One update of the release's stack, unlocked: the caller holds the
 * target's lock. `live` is the Deployment as read under it, when read.
 */
async function updateRelease(
    ctx: Context,
    req: DeployRequest,
    target: DeployTarget,
    progress: Steps,
    opened: OpenedStack,
    live?: LiveDeployment,
): Promise<string> {
    const { release, record, commit } = req;
    const env = engineEnv(ctx);
    const { workspace, existed } = opened;
    const file = stackFilePath(release, ctx.projectDir);
    const fileBefore = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    // A release without a digest is built: its build stack is created
    // meanwhile (BuildStack), while this stack is created and configured.
    // Only the Docker provider builds in the engine; buildah needs no stack.
    const buildStack = record?.imageDigest || releaseSettings(ctx, record).builder !== "docker" ? undefined : new BuildStack(ctx);
    const stack = existed
        ? existingStack(release, workspace)
        : await Stack.create(release, workspace).catch(async (err: unknown) => {
              await buildStack?.dispose();
              throw err;
          });
    // Under both locks: an engine killed with an earlier pinned left its stack lock.
    await clearGoneEngineLocks(env.PULUMI_BACKEND_URL, release, workspace, progress);
    if (existed) {
        // Under both locks too: what an engine killed mid-operation left (pendingOperations.ts).
        await clearPendingOperations(ctx, stack, env.PULUMI_BACKEND_URL, target, progress);
    }
    try {
        // A new stack's secrets are first read here (a stack file may already exist).
        const config = await namingWrongPassphrase(release, configure(ctx, stack, commit, opened.config));
        // Refused here, before the registry or the engine sees any credential.
        const login = stackLogin(release, config, releaseSettings(ctx, record, config).renderYamlTo === undefined, ctx.env);
        // What the program will read, taken before the engine reads it: a file
        // changed during the update then shows as a change to the next run.
        const inputs = target.kind === "cluster" ? inputsFingerprint(ctx, release, target, env) : undefined;
        // How the live Deployment differs from what its release declared: any
        // difference means the engine runs, after the additions are removed.
        const drift = target.kind === "cluster" ? await liveDrift(ctx, live) : undefined;
        const differences = drift?.differences ?? [];
        if (record?.imageDigest) {
            await assertStillInRegistry(login.push, release, record.imageDigest, progress);
            // Only worth proving when the release is what runs (not for a rollback to it).
            if (inputs && existed && target.kind === "cluster" && live?.release === release && live.image === record.imageDigest) {
                const proof =
                    differences.length > 0
                        ? {
                              unchanged: false as const,
                              why: `${differences.map((d) => `${d.path}: ${d.says}`).join("; ")}`,
                          }
                        : await unchangedSinceLastUpdate(ctx, {
                              release,
                              digest: record.imageDigest,
                              inputs,
                              backendUrl: env.PULUMI_BACKEND_URL,
                              kubeconfig: target.kubeconfig,
                          });
                if (proof.unchanged) {
                    progress.note(
                        `engine: not started: ${release} is live as its last update left it, and nothing the program reads has changed`,
                    );
                    return record.imageDigest;
                }
                progress.note(`engine: runs, because ${proof.why}`);
            }
        } else {
            // Built before the update, so the stack deploys a digest and
            // its state never holds build resources (see imageBuild.ts).
            await buildImage(ctx, imageRequest(ctx, release, config, req), progress, buildStack);
        }
        const added = additions(differences);
        if (added.length > 0 && target.kind === "cluster" && live) {
            await removeAdditions(
                ctx,
                {
                    kubeconfig: target.kubeconfig,
                    namespace: releaseSettings(ctx, record).namespace,
                    name: releaseSettings(ctx, record).appName,
                    live,
                    added,
                },
                progress,
            );
        }
        progress.note(
            `${target.kind === "render" ? `rendering manifests to ${target.dir} (${target.source})` : `deploying to ${target.source}`}`,
        );
        const settings = releaseSettings(ctx, record, config);
        const created = existed ? undefined : { fileBefore };
        const outputs = await runUpdate(ctx, stack, progress, created, settings.progressDeadlineSeconds + 300);
        const digest = typeof outputs.imageDigest === "string" ? outputs.imageDigest : undefined;
        if (!digest) {
            throw new Error("the update finished without an imageDigest output");
        }
        if (target.kind === "cluster") {
            const where = `${settings.namespace}/${settings.appName}`;
            const step = progress.start(`checking the rollout of ${where}`);
            const notLive = await confirmRollout(
                () => readLiveDeployment(ctx, target.kubeconfig, settings.namespace, settings.appName),
                digest,
                settings.progressDeadlineSeconds + 60,
            );
            if (notLive) {
                step.fail();
                throw new UpdateFailedError(
                    `the engine finished the update of stack ${release}, but ${where} is not live with ${digest}: ${notLive}. No digest was recorded.`,
                    "fix the cause and run the command again (pinned status shows what runs now).",
                    stack,
                    created,
                );
            }
            step.done("live runs the new digest");
        }
        if (record?.imageDigest !== digest) {
            try {
                recordImageDigest(release, digest, ctx.projectDir);
            } catch (err) {
                const why = explainFailure(err);
                throw new PinnedError(
                    `release ${release} is live (${digest}), but its digest could not be recorded in ` +
                        `${path.relative(process.cwd(), file)}: ${why ? why.problem : String(err)} ` +
                        "The file is as it was before.",
                    `${why ? `${why.fix.replace(/\.$/, "")}, then ` : ""}run pinned up --release ${release} again: it finds the image and records it, with nothing rebuilt.`,
                );
            }
        }
        if (inputs) {
            recordUpdate(ctx, release, inputs, env.PULUMI_BACKEND_URL);
        }
        return digest;
    } catch (err) {
        if (!existed) {
            await forgetNewStack(stack, fileBefore, ctx.projectDir, interrupted());
        }
        throw err;
    } finally {
        // Created here, so removed here, whether the build used it or not.
        await buildStack?.dispose();
    }
}

/**
 * A recorded digest is only worth deploying while the registry has it;
 * checked here, before the engine starts, so the refusal is immediate.
 */
async function assertStillInRegistry(creds: RegistryCredentials, release: string, digest: string, progress: Steps): Promise<void> {
    const step = progress.start(`checking the registry for ${digest}`);
    try {
        await assertInRegistry(release, parseImageDigest(digest), creds);
    } catch (err) {
        step.fail();
        throw err;
    }
    step.done();
}

/** What the build needs, from the stack's settings as the program reads them. */
export function imageRequest(ctx: Context, release: ReleaseName, config: ConfigMap, req: DeployRequest): ImageRequest {
    if (!req.source) {
        throw new Error("deployRelease: a release without a recorded digest needs its source");
    }
    const settings = releaseSettings(ctx, req.record, config);
    const server = settings.registry;
    if (!server) {
        throw new ConfigError(
            "pinned:registry is not set, so there is nowhere to push the image.",
            "run pinned env up (the embedded registry), or set PINNED_REGISTRY.",
        );
    }
    return {
        tag: release,
        release,
        source: req.source,
        settings: { ...settings, registry: server },
        // A secret: the resolver leaves it to whoever decrypted it;
        // checked against the stack's registry before the run started.
        registryPassword: stackLogin(release, config, false, ctx.env).push.password,
        sign: true,
    };
}
