import * as path from "path";

// Read here by the release workflow; defined in core so the program can read them too.
export { cacheDir, localSigning, readEnvFile } from "../core/localCache";
import { cacheDir, readEnvFile } from "../core/localCache";

/** The embedded registry's address and credentials, once `pinned env up` ran. */
export function localRegistry(): { server: string; username: string; password: string } | undefined {
    const creds = readEnvFile(path.join(cacheDir(), "registry-credentials"));
    if (!creds?.REGISTRY || !creds.REGISTRY_USER || !creds.REGISTRY_PASSWORD) {
        return undefined;
    }
    return { server: creds.REGISTRY, username: creds.REGISTRY_USER, password: creds.REGISTRY_PASSWORD };
}

/**
 * The registry a new release pushes to: PINNED_REGISTRY (with
 * PINNED_REGISTRY_USER and PINNED_REGISTRY_PASSWORD) when set, as a CI job
 * sets them from its secrets, else the embedded one.
 */
export function defaultRegistry(
    env: NodeJS.ProcessEnv = process.env,
): { server: string; username?: string; password?: string } | undefined {
    if (env.PINNED_REGISTRY) {
        return {
            server: env.PINNED_REGISTRY,
            username: env.PINNED_REGISTRY_USER || undefined,
            password: env.PINNED_REGISTRY_PASSWORD || undefined,
        };
    }
    return localRegistry();
}
