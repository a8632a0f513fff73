import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isKubeconfigPath } from "../../core/kubeconfig";
import { ConfigError, PinnedError } from "../../core/errors";
import { writeFileWhole } from "../../core/wholeFile";
import { Context } from "../context";

/** What choosing a target reads: the environment, the cache (the embedded cluster's kubeconfig), the project (a relative pinned:kubeconfig) and the kubectl runner (the readiness check). */
type TargetContext = Pick<Context, "projectDir" | "env" | "cacheDir" | "kubectl">;

/** Where a release goes: a cluster, or manifests on disk when there is none. */
export type DeployTarget = { kind: "cluster"; kubeconfig?: string; source: string } | { kind: "render"; dir: string; source: string };

/**
 * Chooses the target without writing it into the stack file (a path on
 * this machine does not belong in the committed descriptor): the stack's
 * own config wins, then environment variables, then the embedded cluster.
 * Manifests are rendered only when asked for (pinned:renderYamlTo,
 * PINNED_RENDER_YAML_TO), or for a preview (`renderWithoutCluster`: it
 * deploys nothing); a cluster that does not answer is an error, never a
 * silent switch to rendering.
 */
export async function chooseTarget(
    ctx: TargetContext,
    release: string,
    stackConfig: Record<string, { value: string }>,
    opts: { renderWithoutCluster?: boolean } = {},
): Promise<DeployTarget> {
    if (stackConfig["pinned:renderYamlTo"]) {
        return { kind: "render", dir: stackConfig["pinned:renderYamlTo"].value, source: "pinned:renderYamlTo" };
    }
    if (stackConfig["pinned:kubeconfig"]) {
        return { kind: "cluster", kubeconfig: kubeconfigFile(ctx, stackConfig["pinned:kubeconfig"].value), source: "pinned:kubeconfig" };
    }
    if (ctx.env.PINNED_RENDER_YAML_TO) {
        return { kind: "render", dir: ctx.env.PINNED_RENDER_YAML_TO, source: "PINNED_RENDER_YAML_TO" };
    }
    if (ctx.env.KUBECONFIG) {
        return { kind: "cluster", kubeconfig: ctx.env.KUBECONFIG, source: "KUBECONFIG" };
    }
    const local = path.join(ctx.cacheDir, "kubeconfig");
    if (fs.existsSync(local)) {
        const unanswered = await localClusterUnanswered(ctx);
        if (unanswered === undefined) {
            return { kind: "cluster", kubeconfig: local, source: "the embedded cluster (pinned env up)" };
        }
        if (!opts.renderWithoutCluster) {
            throw new ConfigError(
                `the embedded cluster (pinned env up) does not answer: ${unanswered}`,
                "start it with pinned env up (pinned env status says what is down), or render manifests instead with PINNED_RENDER_YAML_TO=<dir>.",
            );
        }
    }
    if (opts.renderWithoutCluster) {
        const unanswered = fs.existsSync(local) ? await localClusterUnanswered(ctx) : undefined;
        return {
            kind: "render",
            dir: path.join(".pinned", "rendered", release),
            source: unanswered ? `the embedded cluster does not answer: ${unanswered}` : "no cluster configured",
        };
    }
    throw new ConfigError(
        "no cluster to deploy to: no pinned:kubeconfig in the stack file, no KUBECONFIG, and no embedded cluster.",
        "run pinned env up (the embedded cluster), set KUBECONFIG or pinned:kubeconfig, or render manifests instead with PINNED_RENDER_YAML_TO=<dir>.",
    );
}

/**
 * The stack's pinned:kubeconfig as a file kubectl can read: a path as it
 * is; contents in a file named by their SHA-256 under the cache (0600, in a
 * 0700 directory), so the Lease, the live reads and the rollback checks
 * reach the very cluster the engine deploys to, never kubectl's ambient
 * config, and every command that chooses this target, in this process or
 * another, names the same file (the lock file's key, locks/lockFile.ts).
 */
function kubeconfigFile(ctx: TargetContext, value: string): string {
    if (isKubeconfigPath(value)) {
        return path.resolve(ctx.projectDir, value);
    }
    const dir = path.join(ctx.cacheDir, "run", "kubeconfigs");
    const file = path.join(dir, crypto.createHash("sha256").update(value).digest("hex"));
    if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileWhole(file, value, 0o600);
    }
    return file;
}

/**
 * Whether the API server of the embedded cluster answers: its readiness
 * endpoint, asked with its own kubeconfig through the context's kubectl
 * runner (its request timeout and kill). Asked of the server rather than
 * of the PID files `pinned env up` keeps, which a process in another PID
 * namespace cannot see. Undefined: it answers; else why not.
 */
async function askLocalCluster(ctx: Pick<Context, "cacheDir" | "kubectl">): Promise<string | undefined> {
    try {
        const r = await ctx.kubectl(
            path.join(ctx.cacheDir, "kubeconfig"),
            ["get", "--raw", "/readyz"],
            "ask the embedded cluster whether it is ready",
        );
        return r.status === 0 ? undefined : r.stderr.trim().split("\n").pop() || `kubectl exited ${r.status}`;
    } catch (err) {
        // The runner's own refusal (silent server, no kubectl) says why in its problem; the fix is chooseTarget's.
        return err instanceof PinnedError ? err.problem : String(err);
    }
}

/** Asked once per command (a command chooses its target more than once): the pending or settled answer. */
let answer: Promise<string | undefined> | undefined;

/**
 * Starts the embedded cluster's check in the background, for a command
 * that will choose a target: it then runs while the command loads its
 * modules (requiring the Automation API alone takes 0.75–1.0 s), instead
 * of after. Only where chooseTarget would ask it: no KUBECONFIG, no
 * PINNED_RENDER_YAML_TO, and an embedded cluster's kubeconfig.
 */
export function startLocalClusterCheck(ctx: Pick<Context, "env" | "cacheDir" | "kubectl">): void {
    if (answer !== undefined || ctx.env.KUBECONFIG || ctx.env.PINNED_RENDER_YAML_TO) {
        return;
    }
    if (fs.existsSync(path.join(ctx.cacheDir, "kubeconfig"))) {
        answer = askLocalCluster(ctx);
    }
}

/**
 * Resolves once the check startLocalClusterCheck started has finished (at
 * once when none runs). A command awaits it before it starts, so that
 * nothing it does runs beside a kubectl still starting.
 */
export async function localClusterCheckDone(): Promise<void> {
    await answer;
}

/** Forgets the answer, for a test that changes the cluster between two choices. */
export function forgetLocalClusterAnswer(): void {
    answer = undefined;
}

function localClusterUnanswered(ctx: Pick<Context, "cacheDir" | "kubectl">): Promise<string | undefined> {
    // The early check's answer if one was started; else ask now.
    answer ??= askLocalCluster(ctx);
    return answer;
}

/** The environment variables the engine needs to reach the chosen target. */
export function targetEnv(target: DeployTarget): Record<string, string> {
    if (target.kind === "render") {
        return { PINNED_RENDER_YAML_TO: target.dir };
    }
    return target.kubeconfig ? { KUBECONFIG: target.kubeconfig } : {};
}
