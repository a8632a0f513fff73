import { Env } from "../core/env";
import { cacheDir } from "../core/localCache";
import { EnvironmentSettings, resolveEnvironment } from "../core/settings";
import { Kubectl, kubectlFor } from "./cluster/kubectl";

/**
 * What every workflow action is given instead of reading globals: made once
 * by the command line (cli/main.ts) and passed down, so a test can hand an
 * action its own project, environment and kubectl runner.
 */
export interface Context {
    /** The project: where Pulumi.yaml, the stack files, `.pulumi/` and `.pinned/` are. */
    readonly projectDir: string;
    /**
     * The environment pinned was started with. The command line gives its
     * process.env itself, not a copy: while pinned holds a deploy target,
     * locks/holding.ts marks that environment with the holder's token, and
     * every child made from this one carries it.
     */
    readonly env: Env;
    /** The environment variables pinned reads, checked. */
    readonly settings: EnvironmentSettings;
    /** Where the embedded environment keeps its builds, credentials and keys: core/localCache.ts cacheDir of `env`, the shell scripts' rule. */
    readonly cacheDir: string;
    /**
     * The one kubectl runner (cluster/kubectl.ts), bound to `env`: its
     * callers hold a kubeconfig and nothing else of the context, so they
     * are given the runner rather than the environment it runs with, and a
     * test can give its own.
     */
    readonly kubectl: Kubectl;
}

/**
 * Checks the environment (a refusal names the variable and its fix) and
 * makes the context. `cluster`: the command reaches a cluster, so a
 * KUBECONFIG must name files that exist.
 */
export function createContext(projectDir: string, env: Env, opts: { cluster: boolean }): Context {
    const settings = resolveEnvironment(env, opts);
    // settings.cache is PINNED_CACHE checked (absolute); cacheDir applies the
    // shell scripts' rule for an unset or empty one.
    return { projectDir, env, settings, cacheDir: cacheDir(env), kubectl: kubectlFor(env) };
}
