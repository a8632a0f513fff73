import { Stack } from "@pulumi/pulumi/automation";
import { PinnedError } from "../../core/errors";
import { checkpointText, fileBackendDir } from "../engine/backendFiles";
import { Kubectl } from "../cluster/kubectl";
import { Context } from "../context";
import { projectName } from "../project/stackFile";
import { Steps } from "../steps";
import { DeployTarget } from "../cluster/target";

/**
 * An engine killed mid-operation (SIGKILL, a crash, a second Ctrl-C)
 * leaves each resource operation it had started in the stack's state as a
 * pending operation. Later updates keep the pending creates and only warn,
 * so the stack never reads as clean again and the no-op proof
 * (noopProof.ts) can never hold. Before pinned runs the engine on a stack
 * it holds (under the target's lock and Lease), it clears them:
 *
 * - a pending create of a Kubernetes object: the object is looked up in
 *   the cluster; found, the engine imports it (`--import-pending-creates`,
 *   the create did happen), not found, the entry is dropped
 *   (`--clear-pending-creates`, it did not);
 * - a pending create of a provider: dropped (a provider is no object);
 * - a pending update, delete or read: the refresh reads the resource back
 *   and drops the entry (the engine does this for every refresh).
 *
 * All of it is one `pulumi refresh`, which takes the stack's own lock: an
 * engine still running on the stack makes it fail, and nothing is changed.
 */

/** One pending operation as the checkpoint holds it. */
export interface PendingOperation {
    /** creating, updating, deleting, reading, importing */
    readonly operation: string;
    readonly urn: string;
    readonly type: string;
    readonly inputs: Record<string, unknown>;
}

/** What pinned does about one pending operation. */
export interface PendingAction {
    readonly op: PendingOperation;
    /** For --import-pending-creates: the object's ID, when it exists. */
    readonly importId?: string;
    /** For people: what was done. */
    readonly done: string;
}

/** PulumiCommand.run: internal to the SDK, the one method engine/workspace.ts wraps. */
type EngineRun = (args: string[], cwd: string, env: Record<string, string>) => Promise<unknown>;

type RawOperation = { type?: string; resource?: { urn?: string; type?: string; inputs?: Record<string, unknown> } };

/** The pending operations in a checkpoint or an export (either shape). */
export function pendingIn(stateText: string): PendingOperation[] {
    const doc = JSON.parse(stateText) as {
        checkpoint?: { latest?: { pending_operations?: RawOperation[] } };
        deployment?: { pending_operations?: RawOperation[] };
    };
    const raw = doc.checkpoint?.latest?.pending_operations ?? doc.deployment?.pending_operations ?? [];
    return raw.map((o) => ({
        operation: o.type ?? "unknown",
        urn: o.resource?.urn ?? "",
        type: o.resource?.type ?? "",
        inputs: o.resource?.inputs ?? {},
    }));
}

/** The stack's pending operations: from a file:// backend's checkpoint (the project in `projectDir`), else through the engine's export. */
export async function pendingOperations(stack: Stack, backendUrl: string, projectDir: string): Promise<PendingOperation[]> {
    if (fileBackendDir(backendUrl) !== undefined) {
        const text = checkpointText(backendUrl, projectName(projectDir), stack.name);
        if (text !== undefined) {
            return pendingIn(text);
        }
    }
    return pendingIn(JSON.stringify(await stack.exportStack()));
}

/** A Kubernetes object's reference as kubectl takes it, and the ID the provider gives it (`ns/name`, or `name`). */
export function kubernetesObject(op: PendingOperation): { ref: string; namespace: string; id: string } | undefined {
    const m = /^kubernetes:([^:]+):(.+)$/.exec(op.type);
    const meta = (op.inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (!m || typeof meta.name !== "string") {
        return undefined;
    }
    // "apps/v1" → group apps, version v1; "core/v1" → the core group (empty).
    const [group, version] = m[1].split("/");
    const namespace = typeof meta.namespace === "string" ? meta.namespace : "";
    return {
        ref: `${m[2]}.${version}.${group === "core" ? "" : group}/${meta.name}`,
        namespace,
        id: namespace ? `${namespace}/${meta.name}` : meta.name,
    };
}

/**
 * What to do about each pending operation; `exists` answers whether a
 * Kubernetes object is in the cluster (undefined when there is no cluster:
 * rendered manifests, which the next update writes again).
 */
export async function planPendingActions(
    ops: PendingOperation[],
    exists: ((ref: string, namespace: string) => Promise<boolean>) | undefined,
): Promise<PendingAction[]> {
    const actions: PendingAction[] = [];
    for (const op of ops) {
        if (op.operation !== "creating") {
            actions.push({ op, done: "read back by a refresh" });
            continue;
        }
        const object = kubernetesObject(op);
        if (object && exists && (await exists(object.ref, object.namespace))) {
            actions.push({ op, importId: object.id, done: `imported: ${object.id} exists in the cluster` });
        } else if (object) {
            actions.push({
                op,
                done: exists ? `dropped: ${object.id} is not in the cluster` : "dropped: nothing to read back when rendering",
            });
        } else if (op.type.startsWith("pulumi:providers:")) {
            actions.push({ op, done: "dropped: a provider is no object" });
        } else {
            throw new PinnedError(
                `stack has a pending create of ${op.urn} (${op.type}), left by an engine that stopped mid-operation, ` +
                    "and pinned cannot tell whether it was made.",
                "check whether it exists, then run pulumi refresh --stack <release> and answer its question (import with the ID, or clear).",
            );
        }
    }
    return actions;
}

/** Whether a Kubernetes object exists; a cluster that does not answer is an error, never a guess. */
function inCluster(kubectl: Kubectl, kubeconfig: string | undefined): (ref: string, namespace: string) => Promise<boolean> {
    return async (ref, namespace) => {
        const args = ["get", ...(namespace ? ["-n", namespace] : []), ref, "-o", "name"];
        const r = await kubectl(kubeconfig, args, "look up an object a killed engine may have created");
        if (r.status === 0) {
            return true;
        }
        if (/NotFound|not found/.test(r.stderr)) {
            return false;
        }
        throw new PinnedError(
            `kubectl could not tell whether ${ref} exists, so pinned cannot clear the stack's pending operations: ${r.stderr.trim()}`,
            "check the cluster (pinned env status) and run the command again.",
        );
    };
}

/** The engine's arguments for one refresh that resolves `actions`. */
export function refreshArgs(stack: string, actions: PendingAction[]): string[] {
    const imports = actions.flatMap((a) =>
        a.importId ? ["--import-pending-creates", a.op.urn, "--import-pending-creates", a.importId] : [],
    );
    const drops = actions.some((a) => a.op.operation === "creating" && !a.importId) ? ["--clear-pending-creates"] : [];
    return ["refresh", "--stack", stack, "--yes", "--skip-preview", "--non-interactive", ...imports, ...drops];
}

/**
 * Clears the stack's pending operations, if it has any, and says what each
 * was and what was done; nothing is printed for a clean stack.
 */
export async function clearPendingOperations(
    ctx: Pick<Context, "projectDir" | "kubectl">,
    stack: Stack,
    backendUrl: string,
    target: DeployTarget,
    progress: Steps,
): Promise<void> {
    const ops = await pendingOperations(stack, backendUrl, ctx.projectDir);
    if (ops.length === 0) {
        return;
    }
    const actions = await planPendingActions(ops, target.kind === "cluster" ? inCluster(ctx.kubectl, target.kubeconfig) : undefined);
    const step = progress.start(`clearing ${ops.length} pending operation(s) a stopped engine left in stack ${stack.name}`);
    try {
        if (target.kind === "cluster") {
            // The SDK's refresh has no --import-pending-creates: the engine command pinned made runs it (engine/workspace.ts).
            const ws = stack.workspace;
            await (ws.pulumiCommand as unknown as { run: EngineRun }).run(refreshArgs(stack.name, actions), ws.workDir, ws.envVars);
        } else {
            // A rendering provider cannot refresh (engine/workspace.ts); the next update writes every file again.
            const state = await stack.exportStack();
            (state.deployment as { pending_operations?: unknown[] }).pending_operations = [];
            await stack.importStack(state);
        }
    } catch (err) {
        step.fail();
        const said = err instanceof Error ? err.message.split("\n").slice(-4).join(" ").trim() : String(err);
        throw new PinnedError(
            `stack ${stack.name} has pending operations a stopped engine left, and clearing them failed: ${said}`,
            `run pinned status; if no engine runs on ${stack.name}, run pulumi refresh --stack ${stack.name} and answer its questions.`,
        );
    }
    step.done();
    for (const a of actions) {
        progress.line(`  ${a.op.operation} ${a.op.type} (${a.op.urn}): ${a.done}`);
    }
}
