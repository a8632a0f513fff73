import { PinnedError } from "../../core/errors";
import { checkpointText } from "../engine/backendFiles";
import { engineEnv } from "../engine/environment";
import { pulumiCli } from "../engine/pulumiCli";
import { Context } from "../context";
import { projectName } from "../project/stackFile";

/**
 * The Deployment a release declared: the inputs the program registered for
 * it at the stack's last update, as its state holds them. A file://
 * backend's checkpoint is read straight from its file; any other backend
 * (the shared store) through `pulumi stack export`, which costs an engine
 * CLI run.
 */

type StateResource = { type?: string; custom?: boolean; delete?: boolean; inputs?: Record<string, unknown> };

/** The declared Deployment from a stack's state text (a checkpoint file or `pulumi stack export`), or why there is none. */
export function declaredDeploymentIn(stateText: string): Record<string, unknown> | string {
    let doc: { checkpoint?: { latest?: { resources?: StateResource[] } }; deployment?: { resources?: StateResource[] } };
    try {
        doc = JSON.parse(stateText) as typeof doc;
    } catch {
        return "its state is not JSON";
    }
    const resources = doc.checkpoint?.latest?.resources ?? doc.deployment?.resources ?? [];
    const found = resources.filter((r) => r.custom && !r.delete && r.type === "kubernetes:apps/v1:Deployment");
    if (found.length !== 1 || !found[0].inputs) {
        return found.length === 0 ? "its state holds no Deployment" : "its state holds more than one Deployment";
    }
    return found[0].inputs;
}

/** The declared Deployment of `release`'s stack in the context's project, or why it cannot be read (one line). */
export async function declaredDeployment(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    release: string,
): Promise<Record<string, unknown> | string> {
    const env = engineEnv(ctx);
    const text = checkpointText(env.PULUMI_BACKEND_URL, projectName(ctx.projectDir), release) ?? (await exportedState(ctx, release, env));
    return typeof text === "string" ? declaredDeploymentIn(text) : text.why;
}

/** The stack's state through the engine, or why it cannot be read: the engine failed, or did not finish in time. */
async function exportedState(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    release: string,
    env: Record<string, string>,
): Promise<string | { why: string }> {
    const what = `read the state of stack ${release}`;
    try {
        const r = await pulumiCli(ctx, ["stack", "export", "--stack", release, "--non-interactive"], { cwd: ctx.projectDir, env, what });
        return r.status === 0 ? r.stdout : { why: `the state of stack ${release} could not be read` };
    } catch (err) {
        if (err instanceof PinnedError) {
            return { why: err.problem };
        }
        throw err;
    }
}
