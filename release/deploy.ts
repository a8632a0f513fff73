import * as fs from "fs";
import * as path from "path";
import { CommandError, ConfigMap, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parseImageDigest } from "../core/imageDigest";
import { ConfigError, PinnedError } from "../core/errors";
import { GitSource } from "../core/git/gitSource";
import { parseReleaseName, ReleaseName } from "../core/git/releaseName";
import { assertInRegistry } from "../core/preflight";
import { EngineProgress } from "./engineProgress";
import { removeDeadEngineLocks } from "./engineLock";
import { buildImage, ImageRequest } from "./imageBuild";
import { engineEnv } from "./engineEnv";
import { defaultRegistry } from "./localEnvironment";
import { PROJECT_DIR } from "./project";
import { targetLockPath, lockWaitMs, withTargetLock } from "./lock";
import { existingStack, projectWorkspace, readbackFree, setSecretConfig } from "./engine";
import { Steps } from "./steps";
import { describeOutcome, engineStderr, explainFailure, lastLines, wrongPassphrase } from "./failure";
import { buildTimeoutSeconds, DeadlineError, withDeadline } from "./deadline";
import { interrupted, InterruptedError, withInterrupts } from "./interrupt";
import { LiveDeployment, readLiveDeployment } from "./live";
import { leaseSeconds, withClusterLease } from "./clusterLease";
import { diagnoseRollout, formatDiagnosis } from "./rollout";
import {
    deploymentLocation,
    listReleaseRecords,
    projectName,
    recordImageDigest,
    ReleaseRecord,
    releaseSettings,
    stackFilePath,
} from "./stackFile";
import { stackInBackendFiles } from "./backendState";
import { chooseTarget, DeployTarget, targetEnv } from "./target";

/** A release that passed every check its command makes, ready to deploy. */
export interface DeployRequest {
    readonly release: ReleaseName;
    readonly record?: ReleaseRecord;
    /** The checked-out source at the release's commit; needed when the release has no recorded digest yet. */
    readonly source?: GitSource;
    /** The commit to record: the one already recorded, else HEAD (which the tag points at). */
    readonly commit: string;
    /** The command line, as the lock shows it to a second caller. */
    readonly command: string;
}

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
export async function deployRelease(req: DeployRequest, progress: Steps): Promise<string> {
    const { release, record, commit } = req;
    progress.note(`release ${release} at ${commit.slice(0, 12)}${record?.imageDigest ? " (recorded digest: no build)" : ""}`);

    // Where the release goes decides which lock it takes, so read the
    // target from the stack file before touching the stack.
    const target = chooseTarget(release, record?.config ?? {});
    return withInterrupts(progress, () => deployLocked(req, target, progress));
}

async function deployLocked(req: DeployRequest, target: DeployTarget, progress: Steps): Promise<string> {
    const { record } = req;
    const { namespace, appName } = releaseSettings(record);
    const waitMs = lockWaitMs();
    // Checked before any lock is taken.
    const leaseS = leaseSeconds();
    buildTimeoutSeconds();
    // The lock file keeps releases on this machine apart; on a cluster the
    // Lease next to the Deployment keeps apart every machine deploying there.
    const inLease = <T>(fn: () => Promise<T>): Promise<T> =>
        target.kind === "cluster"
            ? withClusterLease(
                  {
                      kubeconfig: target.kubeconfig,
                      namespace,
                      deployment: appName,
                      command: req.command,
                      waitMs,
                      durationSeconds: leaseS,
                      progress,
                  },
                  fn,
              )
            : fn();
    return withTargetLock(targetLockPath(target, deploymentLocation()), req.command, { waitMs, progress }, () =>
        inLease(async () => {
            // Read to know what to put back; a Deployment that does not exist
            // yet, or that kubectl cannot read, leaves nothing to put back.
            const readLive = (): LiveDeployment | undefined | "unreadable" => {
                try {
                    return target.kind === "cluster" ? readLiveDeployment(target.kubeconfig, namespace, appName) : undefined;
                } catch {
                    return "unreadable";
                }
            };
            const read = readLive();
            const before = read === "unreadable" ? undefined : read;
            try {
                return await updateRelease(req, target, progress);
            } catch (err) {
                // Only a cluster's live Deployment can have changed, and only an
                // interrupt or a failed update leaves it changed to report.
                if (target.kind !== "cluster" || !(interrupted() || err instanceof UpdateFailedError)) {
                    throw err;
                }
                const after = readLive();
                if (after === "unreadable" || !after || (after.image === before?.image && after.release === before?.release)) {
                    // Nothing to put back: say what is live, as far as the cluster tells.
                    const where = `${namespace}/${appName}`;
                    const live =
                        after === "unreadable"
                            ? `What is live on ${where} could not be read (the cluster did not answer); pinned status tells once it does.`
                            : after
                              ? `Live now: ${where} still runs ${after.image} (release ${after.release ?? "unknown"}), as before.`
                              : `Live now: there is no Deployment ${where}.`;
                    throw err instanceof UpdateFailedError ? err.withLive(live) : err;
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
                throw await putBack({ req, failure: err as UpdateFailedError, before, target, namespace, appName, progress });
            }
        }),
    );
}

/** The update of a release's stack failed; the stack and its file are as the failure left them. */
export class UpdateFailedError extends PinnedError {
    constructor(
        problem: string,
        fix: string,
        /** The stack, and whether this run created it (and the stack file as it was before). */
        readonly failedStack: Stack,
        readonly created: { readonly fileBefore: string | undefined } | undefined,
    ) {
        super(problem, fix);
    }

    /** The same failure, saying what is live after it. */
    withLive(live: string): UpdateFailedError {
        return new UpdateFailedError(`${this.problem}\n  ${live}`, this.fix, this.failedStack, this.created);
    }
}

/** A release reached the cluster, its pods failed, and the previous release was put back (or could not be). */
export class RolloutFailedError extends PinnedError {}

/** One update of the release's stack, unlocked: the caller holds the target's lock. */
async function updateRelease(req: DeployRequest, target: DeployTarget, progress: Steps): Promise<string> {
    const { release, record, commit } = req;
    const env = engineEnv();
    ensureLocalBackend(env.PULUMI_BACKEND_URL);
    // The engine reaches the target through its own environment variables.
    const workspace = await projectWorkspace(targetEnv(target), { render: target.kind === "render" });
    const existed =
        stackInBackendFiles(env.PULUMI_BACKEND_URL, projectName(), release) ??
        (await workspace.listStacks()).some((s) => s.name === release);
    const fileBefore = fs.existsSync(stackFilePath(release)) ? fs.readFileSync(stackFilePath(release), "utf8") : undefined;
    const stack = existed ? existingStack(release, workspace) : await Stack.create(release, workspace);
    // Under both locks: an engine killed with an earlier pinned left its stack lock.
    removeDeadEngineLocks(env.PULUMI_BACKEND_URL, release, progress);
    try {
        const config = await configure(stack, commit).catch((err: unknown) => {
            // The first read of the stack's secrets is where a wrong passphrase shows.
            throw wrongPassphrase(err, release) ?? err;
        });
        if (record?.imageDigest) {
            await assertStillInRegistry(config, release, record.imageDigest, progress);
        } else {
            // Built before the update, so the stack deploys a digest and
            // its state never holds build resources (see imageBuild.ts).
            await buildImage(imageRequest(release, config, req), progress);
        }
        progress.note(
            `${target.kind === "render" ? `rendering manifests to ${target.dir} (${target.source})` : `deploying to ${target.source}`}`,
        );
        const deadline = releaseSettings(record, PROJECT_DIR, config).progressDeadlineSeconds + 300;
        const outputs = await runUpdate(stack, progress, existed ? undefined : { fileBefore }, deadline);
        const digest = typeof outputs.imageDigest === "string" ? outputs.imageDigest : undefined;
        if (!digest) {
            throw new Error("the update finished without an imageDigest output");
        }
        if (record?.imageDigest !== digest) {
            try {
                recordImageDigest(release, digest);
            } catch (err) {
                const why = explainFailure(err);
                throw new PinnedError(
                    `release ${release} is live (${digest}), but its digest could not be recorded in ` +
                        `${path.relative(process.cwd(), stackFilePath(release))}: ${why ? why.problem : String(err)} ` +
                        "The file is as it was before.",
                    `${why ? `${why.fix.replace(/\.$/, "")}, then ` : ""}run pinned up --release ${release} again: it finds the image and records it, with nothing rebuilt.`,
                );
            }
        }
        return digest;
    } catch (err) {
        if (!existed) {
            await forgetNewStack(stack, fileBefore, interrupted());
        }
        throw err;
    }
}

interface PutBack {
    readonly req: DeployRequest;
    readonly failure: UpdateFailedError;
    /** What was live before the failed update, if anything. */
    readonly before: LiveDeployment | undefined;
    readonly target: DeployTarget & { kind: "cluster" };
    readonly namespace: string;
    readonly appName: string;
    readonly progress: Steps;
}

/**
 * After a release's pods failed: says why, puts the previous release back
 * through its own stack, removes the failed release's new stack, and
 * returns the error to throw (it says what is live now).
 */
async function putBack(p: PutBack): Promise<RolloutFailedError> {
    const { req, failure, before, target, namespace, appName, progress } = p;
    const release = req.release;
    const where = `${namespace}/${appName}`;
    const why = [
        `release ${release} did not become ready on ${where}; the kubelet says:`,
        ...formatDiagnosis(diagnoseRollout(target.kubeconfig, namespace, appName, release)),
    ];
    const previous = before?.release ? listReleaseRecords().find((r) => r.release === before.release) : undefined;
    if (!before || !previous?.imageDigest || !previous.commit || previous.imageDigest !== before.image || previous.release === release) {
        const was = before ? `${before.image} (release ${before.release ?? "unknown"})` : "nothing";
        return new RolloutFailedError(
            [...why, `Before it, ${where} ran ${was}, which no recorded release can put back, so ${release}'s failing pods stay.`].join(
                "\n",
            ),
            "fix the app (its log above) and make a new release, or roll back by hand: pinned rollback --to <release>.",
        );
    }
    progress.note(`release ${release} failed; putting back ${previous.release} (${previous.imageDigest}) through its own stack`);
    try {
        await updateRelease(
            {
                release: parseReleaseName(previous.release),
                record: previous,
                commit: previous.commit,
                command: `put back ${previous.release} after ${release} failed`,
            },
            target,
            progress,
        );
    } catch (err) {
        const live = readLiveDeployment(target.kubeconfig, namespace, appName);
        return new RolloutFailedError(
            [
                ...why,
                `Putting back ${previous.release} failed too: ${err instanceof PinnedError ? err.problem : String(err)}`,
                `Live now: ${live ? `${live.image} (release ${live.release ?? "unknown"})` : "no Deployment"}.`,
            ].join("\n"),
            `roll back by hand: pinned rollback --to ${previous.release}; pinned status shows what runs.`,
        );
    }
    if (failure.created) {
        // The failed release's new stack manages nothing that is live now.
        await failure.failedStack.workspace.removeStack(release, { force: true, preserveConfig: true });
        restoreStackFile(release, failure.created.fileBefore);
    }
    const live = readLiveDeployment(target.kubeconfig, namespace, appName);
    return new RolloutFailedError(
        [
            ...why,
            `Put back: ${where} runs release ${live?.release ?? "unknown"} again (${live?.image ?? "no Deployment"}); ` +
                `release ${release} recorded no digest.`,
        ].join("\n"),
        `fix the app (its log above) and release again; pinned status shows what runs.`,
    );
}

/**
 * One `pulumi up`, shown as progress steps; the engine's full text goes to
 * .pinned/logs/<release>.log for when the steps are not enough.
 */
async function runUpdate(
    stack: Stack,
    progress: Steps,
    created: UpdateFailedError["created"],
    timeoutSeconds: number,
): Promise<Record<string, unknown>> {
    const logFile = path.join(PROJECT_DIR, ".pinned", "logs", `${stack.name}.log`);
    // Engine logs can name internal hosts and paths: readable by the owner only.
    fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
    const log = fs.openSync(logFile, "w", 0o600);
    const events = new EngineProgress(progress);
    const failed = (why: string) =>
        new UpdateFailedError(
            `the update of stack ${stack.name} failed` +
                (why ? `; ${why.replace(/\n(?! )/g, "\n  ")}\n  ` : " (the lines above say why); ") +
                `${describeOutcome(events.outcome())} ` +
                `The engine's full output is in ${path.relative(process.cwd(), logFile)}; no digest was recorded.`,
            "fix the cause and run the command again (pinned status shows what runs now).",
            stack,
            created,
        );
    try {
        // The engine refreshes first (Pulumi.yaml: options.refresh), so a
        // stack whose state predates another release sees the cluster as it
        // is (rendering has no cluster: see engine.ts). An API server that
        // stops answering must not hold the locks forever: the deadline.
        return await withDeadline(
            {
                seconds: timeoutSeconds,
                what: `the update of stack ${stack.name}`,
                setting: "pinned:progressDeadlineSeconds (the update gets it plus 300 s)",
            },
            (signal) => readbackFree(stack).up({ onOutput: (out) => fs.writeSync(log, out), onEvent: events.onEvent, signal }),
        ).then(() => events.stackOutputs);
    } catch (err) {
        if (err instanceof CommandError) {
            const stderr = engineStderr(err) ?? "";
            fs.writeSync(log, `\n--- the engine's error output ---\n${stderr}\n`);
            const said = lastLines(stderr, 6);
            throw failed(said ? `the engine says:\n${said.replace(/^/gm, "    ")}` : "");
        }
        if (err instanceof DeadlineError) {
            throw failed(err.problem);
        }
        throw err;
    } finally {
        events.close();
        fs.closeSync(log);
    }
}

/**
 * A recorded digest is only worth deploying while the registry has it;
 * checked here, before the engine starts, so the refusal is immediate.
 */
async function assertStillInRegistry(config: ConfigMap, release: string, digest: string, progress: Steps): Promise<void> {
    const step = progress.start(`checking the registry for ${digest}`);
    try {
        await assertInRegistry(release, parseImageDigest(digest), {
            registry: config["pinned:registry"]?.value ?? "",
            username: config["pinned:registryUser"]?.value,
            password: config["pinned:registryPassword"]?.value,
        });
    } catch (err) {
        step.fail();
        throw err;
    }
    step.done();
}

/** A file:// backend is a directory; the engine will not create it. */
function ensureLocalBackend(url: string): void {
    if (url.startsWith("file://")) {
        // State holds encrypted secrets and every resource's outputs: the owner's only.
        fs.mkdirSync(url.slice("file://".length).replace(/\?.*$/, ""), { recursive: true, mode: 0o700 });
    }
}

/**
 * Records release and commit, and on first use the registry (see
 * defaultRegistry). Resolves to the stack's config as it now is.
 */
async function configure(stack: Stack, commit: string): Promise<ConfigMap> {
    const current = await stack.getAllConfig();
    const values: Record<string, { value: string; secret?: boolean }> = {
        "pinned:commit": { value: commit },
    };
    const registry = defaultRegistry();
    const firstUse = !current["pinned:registry"] && registry;
    if (firstUse) {
        values["pinned:registry"] = { value: registry.server };
        if (registry.username) {
            values["pinned:registryUser"] = { value: registry.username };
        }
    }
    // The plain values in one write, only when one changes (a rollback or a
    // redeploy changes none); a new stack's file is removed again if
    // anything after this fails (forgetNewStack).
    if (Object.entries(values).some(([key, v]) => current[key]?.value !== v.value)) {
        await stack.setAllConfig(values);
    }
    if (firstUse && registry.password) {
        // Through stdin, never as an argument (see setSecretConfig).
        setSecretConfig(stack.workspace as LocalWorkspace, stack.name, "pinned:registryPassword", registry.password);
        values["pinned:registryPassword"] = { value: registry.password, secret: true };
    }
    return { ...current, ...values };
}

/** What the build needs, from the stack's settings as the program reads them. */
function imageRequest(release: ReleaseName, config: ConfigMap, req: DeployRequest): ImageRequest {
    if (!req.source) {
        throw new Error("deployRelease: a release without a recorded digest needs its source");
    }
    const settings = releaseSettings(req.record, PROJECT_DIR, config);
    const server = settings.registry;
    if (!server) {
        throw new ConfigError(
            "pinned:registry is not set, so there is nowhere to push the image.",
            "run pinned env up (the embedded registry), or set PINNED_REGISTRY.",
        );
    }
    return {
        appDir: settings.appDir,
        tag: release,
        release,
        source: req.source,
        strictPolicy: settings.strictPolicy,
        registry: {
            server,
            repository: settings.repository,
            username: settings.registryUser,
            // A secret: the resolver leaves it to whoever decrypted it.
            password: config["pinned:registryPassword"]?.value,
        },
    };
}

/**
 * A failed first update that created nothing leaves no stack behind, and
 * the stack file as it was: gone if this run made it, else unchanged.
 */
async function forgetNewStack(stack: Stack, fileBefore: string | undefined, evenWithResources = false): Promise<void> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: unknown[] }).resources ?? [];
    if (resources.length > 1 && !evenWithResources) {
        return;
    }
    // An interrupted run's new stack goes even if it registered resources:
    // they are the live release's too (retained, shared by every release stack).
    await stack.workspace.removeStack(stack.name, { preserveConfig: true, force: evenWithResources });
    restoreStackFile(stack.name, fileBefore);
}

/** The stack file as it was before this run: gone if this run made it. */
function restoreStackFile(release: string, fileBefore: string | undefined): void {
    if (fileBefore === undefined) {
        fs.rmSync(stackFilePath(release), { force: true });
    } else {
        fs.writeFileSync(stackFilePath(release), fileBefore);
    }
}
