import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Where the embedded local environment keeps what is slow to make: built
 * binaries, Go caches, registry data, credentials. Never the repository.
 */
export function cacheDir(): string {
    return process.env.PINNED_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pinned");
}

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

/**
 * The tools and key that sign release images, once `pinned env up` ran its
 * signing part: absolute paths to cosign and syft (and the versions they
 * were built at), the embedded environment's cosign key pair and the file
 * holding the key's password (give it to cosign as COSIGN_PASSWORD, never
 * as an argument).
 */
export function localSigning():
    | { cosign: string; syft: string; key: string; publicKey: string; passwordFile: string; cosignVersion: string; syftVersion: string }
    | undefined {
    const env = readEnvFile(path.join(cacheDir(), "signing.env"));
    if (
        !env?.COSIGN ||
        !env.SYFT ||
        !env.SIGNING_KEY ||
        !env.SIGNING_PUBLIC_KEY ||
        !env.SIGNING_PASSWORD_FILE ||
        !env.COSIGN_VERSION ||
        !env.SYFT_VERSION
    ) {
        return undefined;
    }
    return {
        cosign: env.COSIGN,
        syft: env.SYFT,
        key: env.SIGNING_KEY,
        publicKey: env.SIGNING_PUBLIC_KEY,
        passwordFile: env.SIGNING_PASSWORD_FILE,
        cosignVersion: env.COSIGN_VERSION,
        syftVersion: env.SYFT_VERSION,
    };
}
