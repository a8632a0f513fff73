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
    // Loaded only here: the Automation API alone takes about a second to load.
    const { CommandError, Stack } = await import("@pulumi/pulumi/automation");
    const { projectWorkspace } = await import("../engine/workspace");
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

/**
 * A login that reads the release's registry, for what only reads it (the
 * signature checks of `pinned releases` and `status`). When the stack names
 * the registry this machine knows (PINNED_REGISTRY, else the embedded one),
 * that registry's own pull-only login (else its push login), without
 * the engine: decrypting a stack's password starts `pulumi` twice (0.8 s
 * per stack here). Any other registry gets the stack's own login, as
 * releaseRegistry decides it.
 */
export async function registryReader(
    ctx: Pick<Context, "projectDir" | "env" | "cacheDir">,
    release: string | undefined,
    record: ReleaseRecord | undefined,
): ReturnType<typeof releaseRegistry> {
    const known = defaultRegistry(ctx.env);
    if (known && record?.config["pinned:registry"]?.value === known.server) {
        if (known.pullUsername && known.pullPassword) {
            return { server: known.server, username: known.pullUsername, password: known.pullPassword };
        }
        if (known.password) {
            return { server: known.server, username: known.username, password: known.password };
        }
    }
    return releaseRegistry(ctx, release, record);
}
