import * as fs from "fs";
import { ConfigMap, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { fileBackendDir } from "../engine/backendFiles";
import { setSecretConfig } from "../engine/workspace";
import { bindPassword } from "../../core/registryLogin";
import { defaultRegistry } from "./localEnvironment";
import { stackFilePath } from "./stackFile";
import { Context } from "../context";

/** A release's stack as pinned prepares it (backend, config), and undoes it after a failed first update. */

/** A file:// backend is a directory; the engine will not create it. */
export function ensureLocalBackend(url: string): void {
    const dir = fileBackendDir(url);
    if (dir !== undefined) {
        // State holds encrypted secrets and every resource's outputs: the owner's only.
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
}

/**
 * Records release and commit, and on first use the registry (see
 * defaultRegistry) with its passwords bound to it (core/registryLogin); a
 * stack of that registry from before pull-only users gets its pull-only
 * login. Resolves to the stack's config as it now is.
 * `read` is the config already read from this stack, if it was; the
 * context's `env` names the default registry, and its engine sets the
 * secrets.
 */
export async function configure(
    ctx: Pick<Context, "env" | "cacheDir">,
    stack: Stack,
    commit: string,
    read?: ConfigMap,
): Promise<ConfigMap> {
    const current = read ?? (await stack.getAllConfig());
    const values: Record<string, { value: string; secret?: boolean }> = {
        "pinned:commit": { value: commit },
    };
    const registry = defaultRegistry(ctx.env);
    const firstUse = !current["pinned:registry"] && registry;
    if (firstUse) {
        values["pinned:registry"] = { value: registry.server };
        if (registry.username) {
            values["pinned:registryUser"] = { value: registry.username };
        }
    }
    const server = firstUse ? registry.server : current["pinned:registry"]?.value;
    const pushUser = firstUse ? registry.username : current["pinned:registryUser"]?.value;
    const addPull =
        registry?.server === server && pushUser && registry.pullUsername && registry.pullPassword && !current["pinned:registryPullUser"];
    if (addPull) {
        values["pinned:registryPullUser"] = { value: registry.pullUsername ?? "" };
    }
    // The plain values in one write, only when one changes (a rollback or a
    // redeploy changes none); a new stack's file is removed again if
    // anything after this fails (forgetNewStack).
    if (Object.entries(values).some(([key, v]) => current[key]?.value !== v.value)) {
        await stack.setAllConfig(values);
    }
    const secrets: Record<string, string | undefined> = {
        "pinned:registryPassword": firstUse ? registry.password : undefined,
        "pinned:registryPullPassword": addPull ? registry?.pullPassword : undefined,
    };
    for (const [key, password] of Object.entries(secrets)) {
        if (password !== undefined && server !== undefined) {
            // Through stdin, never as an argument (see setSecretConfig).
            const bound = bindPassword(server, password);
            await setSecretConfig(ctx, stack.workspace as LocalWorkspace, stack.name, key, bound);
            values[key] = { value: bound, secret: true };
        }
    }
    return { ...current, ...values };
}

/**
 * A failed first update that created nothing leaves no stack behind, and
 * the stack file as it was: gone if this run made it, else unchanged.
 */
export async function forgetNewStack(
    stack: Stack,
    fileBefore: string | undefined,
    projectDir: string,
    evenWithResources = false,
): Promise<void> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: unknown[] }).resources ?? [];
    if (resources.length > 1 && !evenWithResources) {
        return;
    }
    // An interrupted run's new stack goes even if it registered resources:
    // they are the live release's too (retained, shared by every release stack).
    await stack.workspace.removeStack(stack.name, { preserveConfig: true, force: evenWithResources });
    restoreStackFile(stack.name, fileBefore, projectDir);
}

/** The stack file (in the project `projectDir`) as it was before this run: gone if this run made it. */
export function restoreStackFile(release: string, fileBefore: string | undefined, projectDir: string): void {
    if (fileBefore === undefined) {
        fs.rmSync(stackFilePath(release, projectDir), { force: true });
    } else {
        fs.writeFileSync(stackFilePath(release, projectDir), fileBefore);
    }
}
