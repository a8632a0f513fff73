import { Env } from "./env";

/**
 * The environment each child process gets, named instead of inherited: a
 * child sees only what it reads, so a secret in pinned's environment (a
 * registry password, COSIGN_PASSWORD) or in the engine's (PULUMI_CONFIG
 * holds the stack's settings with its secrets decrypted, for the program)
 * never reaches a git, kubectl or buildah that has no use for it.
 */

/** What any program may need: where programs are, who and where it runs, locale, temporary files, proxies. */
const COMMON =
    /^(PATH|HOME|USER|LOGNAME|SHELL|TERM|TZ|TMPDIR|LANG|LANGUAGE|LC_[A-Z_]+|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY|SSL_CERT_(FILE|DIR))$/;

/** Each child's own settings, by the names its documentation gives. */
export const CHILD_VARS = {
    /** git: its own GIT_* settings and the SSH agent for remotes; never the engine's PULUMI_CONFIG. */
    git: /^(GIT_[A-Z_]+|SSH_AUTH_SOCK|XDG_CONFIG_HOME)$/,
    /** kubectl: its config and cache; a kubeconfig's exec credential plugin may read cloud settings. */
    kubectl: /^(KUBECONFIG|KUBECTL_[A-Z_]+|KUBERC|KUBECACHEDIR|XDG_CONFIG_HOME|AWS_[A-Z_]+|AZURE_[A-Z_]+|GOOGLE_[A-Z_]+|CLOUDSDK_[A-Z_]+)$/,
    /** buildah: its storage, registries and runtime settings (the registry login comes as REGISTRY_AUTH_FILE). */
    buildah:
        /^(BUILDAH_[A-Z_]+|STORAGE_[A-Z_]+|CONTAINERS_[A-Z_]+|REGISTRY_AUTH_FILE|XDG_RUNTIME_DIR|XDG_DATA_HOME|XDG_CONFIG_HOME|BUILD_REGISTRY_SOURCES|TMPDIR)$/,
    /** cosign and syft: their own settings; the key's password is given by pinned, only to cosign. */
    signing: /^(SIGSTORE_[A-Z_]+|SYFT_[A-Z_]+)$/,
    /**
     * The engine and what it starts (language host, program, providers):
     * its PULUMI_* settings (the passphrase included: it decrypts the
     * stack), the program's PINNED_* settings (the registry password
     * included: the program puts it in the pull Secret), the Kubernetes and
     * Docker providers', the state store's AWS_* and Node's own.
     */
    engine: /^(PULUMI_[A-Z0-9_]+|PINNED_[A-Z0-9_]+|KUBECONFIG|KUBECTL_[A-Z_]+|DOCKER_[A-Z_]+|AWS_[A-Z_]+|AZURE_[A-Z_]+|GOOGLE_[A-Z_]+|NODE_[A-Z_]+|XDG_[A-Z_]+|GIT_[A-Z_]+|SSH_AUTH_SOCK|GO[A-Z0-9]*|CI)$/,
} as const;

/** True when a child with its own variables `own` gets the variable `name`. */
export function passes(name: string, own: RegExp): boolean {
    return COMMON.test(name) || own.test(name);
}

/**
 * The environment for a child whose own variables match `own`: those and
 * the common ones from `from` (the caller's environment: the context's, for
 * the workflow), then `set` (what pinned gives it itself).
 */
export function childEnv(own: RegExp, set: Record<string, string>, from: Env): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(from)) {
        if (value !== undefined && passes(name, own)) {
            env[name] = value;
        }
    }
    return { ...env, ...set };
}
