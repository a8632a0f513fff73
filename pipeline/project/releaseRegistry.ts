import { CommandError, Stack } from "@pulumi/pulumi/automation";
import { projectWorkspace } from "../engine/workspace";
import { defaultRegistry } from "./localEnvironment";
import { Context } from "../context";
import { ReleaseRecord } from "./stackFile";
import { stackLogin } from "./stackLogin";

/** The registry the release would push to: its stack's, else the default one. */
export async function releaseRegistry(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    release: string | undefined,
    record: ReleaseRecord | undefined,
) {
    const fallback = defaultRegistry(ctx.env);
    const server = record?.config["pinned:registry"]?.value;
    if (!release || !server) {
        return fallback;
    }
    try {
        // The password is a stack secret: the engine decrypts it.
        const stack = await Stack.select(release, await projectWorkspace(ctx));
        const config = await stack.getAllConfig();
        // Only a password bound to this registry (or the one pinned knows for it) is used.
        const { push } = stackLogin(release, config, false, ctx.env);
        return { server, username: push.username, password: push.password };
    } catch (err) {
        if (!(err instanceof CommandError)) {
            throw err;
        }
        // A stack file from git without its state here (a fresh CI runner):
        // the default registry's credentials, when it is the same registry.
        return {
            server,
            username: record?.config["pinned:registryUser"]?.value ?? fallback?.username,
            password: fallback?.server === server ? fallback.password : undefined,
        };
    }
}
