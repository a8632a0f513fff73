import { Env } from "./env";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Where the embedded local environment keeps what is slow to make: built
 * binaries, Go caches, registry data, credentials. Never the repository.
 * The same rule as scripts/env/lib.sh's CACHE (`${PINNED_CACHE:-…}`): an
 * empty PINNED_CACHE, XDG_CACHE_HOME or HOME counts as unset.
 */
export function cacheDir(env: Env): string {
    return env.PINNED_CACHE || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache"), "pinned");
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
 * signing part (its record in the cache folder `cache`): absolute paths to cosign and syft (and the versions they
 * were built at), the embedded environment's cosign key pair and the file
 * holding the key's password (give it to cosign as COSIGN_PASSWORD, never
 * as an argument).
 */
export function localSigning(
    cache: string,
):
    | { cosign: string; syft: string; key: string; publicKey: string; passwordFile: string; cosignVersion: string; syftVersion: string }
    | undefined {
    const env = readEnvFile(path.join(cache, "signing.env"));
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

/**
 * The embedded S3-compatible state store, once `pinned env up` ran its store
 * part (scripts/env/store.sh; its record in the cache folder `cache`): the Pulumi backend URL
 * (`s3://pinned-state?endpoint=…&use_path_style=true&region=us-east-1`), the
 * server's endpoint, the bucket, and the files holding the access key and
 * secret (`credentialsFile`, KEY=VALUE lines: read it with storeCredentials;
 * `awsCredentialsFile`, the same as an AWS shared-credentials file).
 */
export function localStore(
    cache: string,
): { url: string; credentialsFile: string; awsCredentialsFile: string; endpoint: string; bucket: string } | undefined {
    const env = readEnvFile(path.join(cache, "store.env"));
    if (!env?.STORE_URL || !env.STORE_CREDENTIALS_FILE || !env.STORE_AWS_CREDENTIALS_FILE || !env.STORE_ENDPOINT || !env.STORE_BUCKET) {
        return undefined;
    }
    return {
        url: env.STORE_URL,
        credentialsFile: env.STORE_CREDENTIALS_FILE,
        awsCredentialsFile: env.STORE_AWS_CREDENTIALS_FILE,
        endpoint: env.STORE_ENDPOINT,
        bucket: env.STORE_BUCKET,
    };
}

/**
 * The store's access key and secret from its credentials file, under the
 * names the AWS SDKs (and so Pulumi's S3 backend) read from the environment.
 * Throws, naming the file, when it is missing or lacks either.
 */
export function storeCredentials(file: string): { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } {
    const creds = readEnvFile(file);
    if (!creds) {
        throw new Error(`${file} does not exist; run: npx pinned env up store`);
    }
    if (!creds.AWS_ACCESS_KEY_ID || !creds.AWS_SECRET_ACCESS_KEY) {
        throw new Error(`${file} lacks AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY`);
    }
    return { AWS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY };
}
