import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../core/errors";
import { localStore } from "../../core/localCache";
import { Context } from "../context";

/**
 * The engine's switches, the same for `pinned` and for a person using
 * `pinned env shell`: no update check, plugins from the plugin cache only,
 * state in the project unless the user chose a backend.
 */
export function engineSwitches(ctx: Pick<Context, "projectDir" | "env" | "cacheDir">): Record<string, string> {
    const { env } = ctx;
    return {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Off unless the user turned it on: with internet access, the
        // engine then fetches the official plugins at the same versions.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION ?? "true",
        // Providers come from the plugin cache, where versions are checked,
        // not from whatever binary of that name is on PATH.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        ...stateBackend(ctx),
    };
}

/**
 * Where stack state lives: PULUMI_BACKEND_URL as the user set it; else,
 * with PINNED_STATE=store, the embedded environment's S3-compatible store
 * (scripts/env/store.sh), its credentials as a shared-credentials file
 * (never in the environment, like the passphrase); else the project's
 * .pulumi/ directory. The store is not the default: one person's state
 * needs no server, and state already in .pulumi/ would not be in it.
 */
export function stateBackend(ctx: Pick<Context, "projectDir" | "env" | "cacheDir">): Record<string, string> {
    const { env } = ctx;
    const state = env.PINNED_STATE || "file";
    if (state !== "file" && state !== "store") {
        throw new ConfigError(
            `PINNED_STATE="${state}" is neither file nor store.`,
            "unset it (state in the project's .pulumi/ directory), or set PINNED_STATE=store (the embedded environment's shared state store).",
        );
    }
    if (env.PULUMI_BACKEND_URL) {
        return { PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL };
    }
    if (state === "file") {
        return { PULUMI_BACKEND_URL: `file://${path.join(ctx.projectDir, ".pulumi")}` };
    }
    const store = localStore(ctx.cacheDir);
    if (!store) {
        throw new ConfigError(
            "PINNED_STATE=store, but the embedded state store is not set up.",
            "run pinned env up (its store part), or set PULUMI_BACKEND_URL to your team's store instead.",
        );
    }
    return { PULUMI_BACKEND_URL: store.url, AWS_SHARED_CREDENTIALS_FILE: store.awsCredentialsFile, AWS_PROFILE: "default" };
}

/**
 * The environment variables the Pulumi engine runs with: the project's own engine
 * first on PATH, its switches, and the stacks' passphrase.
 */
export function engineEnv(ctx: Pick<Context, "projectDir" | "env" | "cacheDir">): Record<string, string> {
    const bin = path.join(ctx.cacheDir, "bin");
    return {
        PATH: `${bin}${path.delimiter}${ctx.env.PATH ?? ""}`,
        ...engineSwitches(ctx),
        ...passphraseSetting(ctx),
    };
}

/**
 * How the engine gets the passphrase: the user's own setting as they made
 * it, else the embedded default's file. The default passphrase reaches the
 * engine only as a file name, never in an environment variable that every
 * child process (git, the language host, providers) would inherit.
 */
function passphraseSetting(ctx: Pick<Context, "env" | "cacheDir">): Record<string, string> {
    const { env } = ctx;
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
    }
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
    }
    return { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile(ctx.cacheDir) };
}

/** The embedded default's passphrase file in the cache folder `cache`, made once (0600) if missing. */
export function passphraseFile(cache: string): string {
    const file = path.join(cache, "passphrase");
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        try {
            fs.writeFileSync(file, crypto.randomBytes(24).toString("base64url"), { mode: 0o600, flag: "wx" });
        } catch (err) {
            // Another process made it first: theirs is the one.
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                throw err;
            }
        }
    }
    return file;
}

/**
 * The passphrase for stack secrets: the user's PULUMI_CONFIG_PASSPHRASE, or
 * for the embedded default the one generated once and kept in the cache.
 */
export function passphrase(ctx: Pick<Context, "env" | "cacheDir">): string {
    if (ctx.env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return ctx.env.PULUMI_CONFIG_PASSPHRASE;
    }
    return fs.readFileSync(passphraseFile(ctx.cacheDir), "utf8").trim();
}
