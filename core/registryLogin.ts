import { Env } from "./env";
import * as path from "path";
import { ConfigError } from "./errors";
import { cacheDir, readEnvFile } from "./localCache";
import { RegistryCredentials } from "./registry";

/**
 * Registry passwords as a stack holds them: bound to the registry they were
 * set for, inside the secret's ciphertext, so editing `pinned:registry` in
 * a stack file (plain text, in git) cannot send the password elsewhere.
 *
 * The secret's plain text is `registry=<host[:port]> password=<password>`.
 */
const BOUND = /^registry=(\S+) password=([\s\S]*)$/;

/** The secret value that binds `password` to `registry` (`host[:port]`). */
export function bindPassword(registry: string, password: string): string {
    return `registry=${registry} password=${password}`;
}

/** A stack secret's registry password: the registry it was set for, when bound. */
export function parseBoundPassword(value: string): { registry?: string; password: string } {
    const m = BOUND.exec(value);
    return m ? { registry: m[1], password: m[2] } : { password: value };
}

/**
 * A registry pinned knows the credentials of without any stack: the one
 * PINNED_REGISTRY names (with its _USER, _PASSWORD, _PULL_USER and
 * _PULL_PASSWORD), else the embedded one `pinned env up` made.
 */
export interface KnownRegistry {
    readonly server: string;
    readonly username?: string;
    readonly password?: string;
    /** A user that may only pull, for the cluster. */
    readonly pullUsername?: string;
    readonly pullPassword?: string;
}

/** The embedded registry's address and credentials, once `pinned env up` ran (its record in the cache folder `cache`). */
export function localRegistry(cache: string): (KnownRegistry & { username: string; password: string }) | undefined {
    const creds = readEnvFile(path.join(cache, "registry-credentials"));
    if (!creds?.REGISTRY || !creds.REGISTRY_USER || !creds.REGISTRY_PASSWORD) {
        return undefined;
    }
    // An older registry.sh rewrites the file with the push pair only; the
    // pull pair's second copy (scripts/env/registry.sh) still holds it.
    const pull = creds.REGISTRY_PULL_USER ? creds : (readEnvFile(path.join(cache, "run", "registry", "pull-credentials")) ?? {});
    return {
        server: creds.REGISTRY,
        username: creds.REGISTRY_USER,
        password: creds.REGISTRY_PASSWORD,
        pullUsername: pull.REGISTRY_PULL_USER || undefined,
        pullPassword: pull.REGISTRY_PULL_PASSWORD || undefined,
    };
}

/**
 * The registry a new release pushes to: PINNED_REGISTRY (with its user and
 * password, and its pull-only pair) when set, as a CI job sets them from its
 * secrets, else the embedded one.
 */
export function defaultRegistry(env: Env): KnownRegistry | undefined {
    if (env.PINNED_REGISTRY) {
        return {
            server: env.PINNED_REGISTRY,
            username: env.PINNED_REGISTRY_USER || undefined,
            password: env.PINNED_REGISTRY_PASSWORD || undefined,
            pullUsername: env.PINNED_REGISTRY_PULL_USER || undefined,
            pullPassword: env.PINNED_REGISTRY_PULL_PASSWORD || undefined,
        };
    }
    return localRegistry(cacheDir(env));
}

/** What a release logs in with: push (and read) credentials, and the cluster's pull-only ones. */
export interface RegistryLogin {
    readonly push: RegistryCredentials;
    /** For the cluster's pull Secret; absent when the registry needs no login. */
    readonly pull?: { readonly username: string; readonly password: string };
}

/** A stack's registry settings, plain (its secrets decrypted). */
export interface RegistryConfig {
    readonly registry: string;
    readonly registryUser?: string;
    /** `pinned:registryPassword` as decrypted: bound (see bindPassword) or, from before binding, bare. */
    readonly registryPassword?: string;
    readonly registryPullUser?: string;
    readonly registryPullPassword?: string;
}

/**
 * The credentials a release may use, checked before any is sent: each
 * password must be bound to the stack's `pinned:registry`, or be the very
 * password pinned knows for that registry (a bare one from before binding).
 * `pullNeeded`: the cluster gets a pull Secret (not when manifests are
 * rendered to files); a registry with a login then needs a pull-only user
 * in the stack, since the push password is never put in the cluster (a
 * stack from before pull-only users gets the known registry's pair when
 * pinned prepares it: pipeline/project/stackSetup.ts).
 */
export function registryLogin(
    release: string,
    config: RegistryConfig,
    known: KnownRegistry | undefined,
    pullNeeded: boolean,
): RegistryLogin {
    const same = known?.server === config.registry ? known : undefined;
    const password = checkedPassword(release, "pinned:registryPassword", config.registry, config.registryPassword, same?.password, "");
    const push = { registry: config.registry, username: config.registryUser, password };
    if (!pullNeeded || config.registryUser === undefined) {
        return { push };
    }
    if (config.registryPullUser !== undefined || config.registryPullPassword !== undefined) {
        if (config.registryPullUser === undefined || config.registryPullPassword === undefined) {
            const missing = config.registryPullUser === undefined ? "pinned:registryPullUser" : "pinned:registryPullPassword";
            throw new ConfigError(
                `release ${release}: ${missing} is not set, but the other half of the cluster's pull login is.`,
                `set both, or remove both: ${fixFor(release, missing)}`,
            );
        }
        const pullPassword = checkedPassword(
            release,
            "pinned:registryPullPassword",
            config.registry,
            config.registryPullPassword,
            same?.pullPassword,
            " --pull",
        );
        return { push, pull: { username: config.registryPullUser, password: pullPassword ?? "" } };
    }
    throw new ConfigError(
        `release ${release} logs in to ${config.registry} as ${config.registryUser}, but names no pull-only login for the cluster ` +
            "(pinned:registryPullUser, pinned:registryPullPassword): pinned does not put the push password in the cluster.",
        `give the cluster a user that may only pull: ${fixFor(release, "pinned:registryPullUser")} For new releases, set PINNED_REGISTRY_PULL_USER and PINNED_REGISTRY_PULL_PASSWORD with PINNED_REGISTRY.`,
    );
}

/** How to set one of the four settings on this stack. */
function fixFor(release: string, key: string): string {
    return key.endsWith("Password")
        ? `printf '%s' "$PASSWORD" | npx pinned registry-password${key.includes("Pull") ? " --pull" : ""} --release ${release} (binds it to the stack's pinned:registry).`
        : `pulumi config set ${key} USER --stack ${release}, then printf '%s' "$PASSWORD" | npx pinned registry-password${key.includes("Pull") ? " --pull" : ""} --release ${release}.`;
}

/** The password `value` holds, if it may go to `registry`; else a refusal naming the fix. */
function checkedPassword(
    release: string,
    key: string,
    registry: string,
    value: string | undefined,
    knownPassword: string | undefined,
    flag: string,
): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    const bound = parseBoundPassword(value);
    const rebind = `printf '%s' "$PASSWORD" | npx pinned registry-password${flag} --release ${release}`;
    if (bound.registry === undefined) {
        if (knownPassword !== undefined && bound.password === knownPassword) {
            return bound.password;
        }
        throw new ConfigError(
            `release ${release}: ${key} is not bound to a registry (it was set before pinned bound passwords to theirs), ` +
                `and it is not the password pinned knows for ${registry}: it is not sent anywhere.`,
            `if ${registry} is the registry it belongs to, bind it: ${rebind} (it sets the secret as registry=${registry} password=…).`,
        );
    }
    if (bound.registry !== registry) {
        throw new ConfigError(
            `release ${release}: ${key} was set for registry ${bound.registry}, but pinned:registry is ${registry}: ` +
                "the password would go to a registry it was not set for, so it is not sent anywhere.",
            `put back pinned:registry: ${bound.registry} in stacks/Pulumi.${release}.yaml; or, if ${registry} is right, set its own password: ${rebind}.`,
        );
    }
    return bound.password;
}
