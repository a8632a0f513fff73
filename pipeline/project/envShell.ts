import * as fs from "fs";
import * as path from "path";
import { engineSwitches, passphrase } from "../engine/environment";
import { Context } from "../context";

/**
 * The shell settings that let a person drive `pulumi` and `kubectl` by hand
 * on the embedded environment, as `pinned` itself does: the project's engine
 * first on PATH, nothing fetched from the network, the stacks' passphrase
 * read from its file (never printed), the embedded cluster's kubeconfig.
 * Values the user already set (their own backend, passphrase or cluster)
 * are left alone.
 */
export function shellSettings(ctx: Pick<Context, "projectDir" | "env" | "cacheDir">): Array<[string, string]> {
    const { env, cacheDir: cache } = ctx;
    // The backend the user set stays theirs: it is not printed again.
    const switches = Object.entries(engineSwitches(ctx)).filter(([k]) => !(k === "PULUMI_BACKEND_URL" && env.PULUMI_BACKEND_URL));
    // PATH is prepended to the PATH of the shell that evals this.
    const out: Array<[string, string]> = [["PATH", path.join(cache, "bin")], ...switches];
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
        passphrase(ctx); // made once if missing, so the file exists
        out.push(["PULUMI_CONFIG_PASSPHRASE_FILE", path.join(cache, "passphrase")]);
    }
    const kubeconfig = path.join(cache, "kubeconfig");
    if (env.KUBECONFIG === undefined && fs.existsSync(kubeconfig)) {
        out.push(["KUBECONFIG", kubeconfig]);
    }
    return out;
}

/** `export NAME='value'` lines a POSIX shell can eval. */
export function formatShellSettings(settings: Array<[string, string]>): string {
    const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
    return settings.map(([k, v]) => (k === "PATH" ? `export PATH=${quote(v)}:"$PATH"` : `export ${k}=${quote(v)}`)).join("\n");
}
