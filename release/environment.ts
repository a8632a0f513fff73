import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Where the embedded local environment keeps what is slow to make: built
 * binaries, Go caches, registry data, credentials. Never the repository.
 */
export function cacheDir(): string {
    return process.env.PINNED_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pinned");
}

/** The project root: where Pulumi.yaml lives. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Reads a KEY=VALUE file written by scripts/env (credentials, base image). */
export function readEnvFile(file: string): Record<string, string> | undefined {
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const values: Record<string, string> = {};
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (m) {
            values[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
        }
    }
    return values;
}

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

/**
 * The engine's switches, the same for `pinned` and for a person using
 * `pinned env shell`: no update check, plugins from the plugin cache only,
 * state in the project unless the user chose a backend.
 */
export function engineSwitches(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    return {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Off unless the user turned it on: with internet access, the
        // engine then fetches the official plugins at the same versions.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ?? "true",
        // Providers come from the plugin cache, where versions are checked,
        // not from whatever binary of that name is on PATH.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL ?? `file://${path.join(PROJECT_DIR, ".pulumi")}`,
    };
}

/**
 * The environment the Pulumi engine runs with: the project's own engine
 * first on PATH, its switches, and the stacks' passphrase.
 */
export function engineEnv(): Record<string, string> {
    const bin = path.join(cacheDir(), "bin");
    return {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        ...engineSwitches(),
        // The user's passphrase file wins over the embedded default's passphrase.
        ...(process.env.PULUMI_CONFIG_PASSPHRASE === undefined && process.env.PULUMI_CONFIG_PASSPHRASE_FILE
            ? {}
            : { PULUMI_CONFIG_PASSPHRASE: passphrase() }),
    };
}

/**
 * The passphrase for stack secrets: the user's PULUMI_CONFIG_PASSPHRASE, or
 * for the embedded default one generated once and kept in the cache.
 */
export function passphrase(): string {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return process.env.PULUMI_CONFIG_PASSPHRASE;
    }
    const file = path.join(cacheDir(), "passphrase");
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, crypto.randomBytes(24).toString("base64url"), { mode: 0o600, flag: "wx" });
    }
    return fs.readFileSync(file, "utf8").trim();
}
