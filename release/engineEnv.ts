import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./localEnvironment";
import { PROJECT_DIR } from "./project";

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
 * The environment variables the Pulumi engine runs with: the project's own engine
 * first on PATH, its switches, and the stacks' passphrase.
 */
export function engineEnv(): Record<string, string> {
    const bin = path.join(cacheDir(), "bin");
    return {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        ...engineSwitches(),
        ...passphraseSetting(),
    };
}

/**
 * How the engine gets the passphrase: the user's own setting as they made
 * it, else the embedded default's file. The default passphrase reaches the
 * engine only as a file name, never in an environment variable that every
 * child process (git, the language host, providers) would inherit.
 */
function passphraseSetting(): Record<string, string> {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return { PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE };
    }
    if (process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        return { PULUMI_CONFIG_PASSPHRASE_FILE: process.env.PULUMI_CONFIG_PASSPHRASE_FILE };
    }
    return { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile() };
}

/** The embedded default's passphrase file, made once (0600) if missing. */
export function passphraseFile(): string {
    const file = path.join(cacheDir(), "passphrase");
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
export function passphrase(): string {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return process.env.PULUMI_CONFIG_PASSPHRASE;
    }
    return fs.readFileSync(passphraseFile(), "utf8").trim();
}
