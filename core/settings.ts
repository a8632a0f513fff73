import * as path from "path";
import * as fs from "fs";
import { ImageDigest, parseImageDigest, splitImageDigest } from "./imageDigest";
import { checkedKubeconfig } from "./kubeconfig";
import { ConfigError, PinnedError } from "./errors";
import { cpuMillicores, memoryBytes } from "./quantity";

/** The container's CPU and memory requests and limits, as Kubernetes quantities. */
export interface ContainerResources {
    readonly cpuRequest: string;
    readonly cpuLimit: string;
    readonly memoryRequest: string;
    readonly memoryLimit: string;
}

/**
 * A release's settings, resolved: every `pinned:*` stack setting with its
 * default applied, validated, paths absolute. The program and every command
 * read settings through `resolveSettings`, so each default lives here once.
 */
export interface Settings {
    /** The commit the release tag pointed at (`pinned:commit`), when recorded. */
    readonly commit?: string;
    /** The digest the release shipped (`pinned:imageDigest`); when set, nothing is built. */
    readonly imageDigest?: ImageDigest;
    /** Registry `host[:port]` (`pinned:registry`). */
    readonly registry?: string;
    /** The user that pushes (`pinned:registryUser`); its password is the secret `pinned:registryPassword`. */
    readonly registryUser?: string;
    /**
     * The user the cluster pulls with (`pinned:registryPullUser`), one that
     * may only pull; its password is the secret `pinned:registryPullPassword`.
     */
    readonly registryPullUser?: string;
    /** Repository path in the registry (`pinned:repository`). */
    readonly repository: string;
    /** The app's directory: recipe and build context (`pinned:app`), absolute. */
    readonly appDir: string;
    /** Name of the Deployment and Service (`pinned:name`). */
    readonly appName: string;
    readonly namespace: string;
    /** Port the container listens on. */
    readonly port: number;
    readonly replicas: number;
    /** Requests and limits (`pinned:cpuRequest`, `cpuLimit`, `memoryRequest`, `memoryLimit`). */
    readonly resources: ContainerResources;
    /**
     * Seconds a rollout may go without progress before it counts as failed
     * (`pinned:progressDeadlineSeconds`, the Deployment's progressDeadlineSeconds).
     */
    readonly progressDeadlineSeconds: number;
    /** Refuse recipe warnings too (`pinned:strictPolicy`). */
    readonly strictPolicy: boolean;
    /**
     * What builds the image (`pinned:builder`): `buildah`, bit for bit
     * reproducible, run by pinned before the engine; or `docker`, the
     * Docker provider inside the engine, whose images record the build's
     * clock (so `pinned verify` cannot match them).
     */
    readonly builder: Builder;
    /** Kubeconfig path or contents; absent means the ambient one. */
    readonly kubeconfig?: string;
    /** Render manifests to this directory instead of applying them, absolute. */
    readonly renderYamlTo?: string;
}

/**
 * The resolved settings an image build reads, wherever it runs (buildah in
 * the workflow, or the ReleaseImage component in the engine): the app's
 * directory, the recipe policy, the builder, where the image is pushed and
 * as whom. They travel as this one object from the settings to what uses
 * them, so a setting the build needs is named here and read where it is
 * used. A build always has a registry; the push password is a secret and
 * travels beside this object, never in it.
 */
export type ImageSettings = Pick<Settings, "appDir" | "strictPolicy" | "builder" | "repository" | "registryUser"> & {
    readonly registry: string;
};

/** The defaults, in one place; the README's Configuration table lists them. */
export const DEFAULTS = {
    repository: "pinned/app",
    app: "app",
    name: "pinned-app",
    namespace: "default",
    port: 8080,
    replicas: 1,
    // Sized for the example app (a Python HTTP server, about 20 MiB resident).
    cpuRequest: "50m",
    cpuLimit: "500m",
    memoryRequest: "64Mi",
    memoryLimit: "128Mi",
    // A failing release is known, and the previous one put back, within 2 minutes.
    progressDeadlineSeconds: 120,
    strictPolicy: true,
    builder: "buildah",
} as const;

/** The image builders a release can use. */
export const BUILDERS = ["buildah", "docker"] as const;
export type Builder = (typeof BUILDERS)[number];

/** Every `pinned:*` stack setting the program reads (the secrets registryPassword and registryPullPassword aside). */
export const SETTING_KEYS = [
    "release",
    "commit",
    "imageDigest",
    "registry",
    "registryUser",
    "registryPullUser",
    "repository",
    "app",
    "name",
    "namespace",
    "port",
    "replicas",
    "cpuRequest",
    "cpuLimit",
    "memoryRequest",
    "memoryLimit",
    "progressDeadlineSeconds",
    "strictPolicy",
    "builder",
    "kubeconfig",
    "renderYamlTo",
] as const;

/** Setting values as stack config holds them: `pinned:<key>` → text (project-wide values first, the stack's over them). */
export type ConfigValues = Readonly<Record<string, string | undefined>>;

/**
 * Turns stack config and environment variables into Settings. Pure: the caller
 * reads the config (the program through the engine, a command from the
 * stack file and Pulumi.yaml). A value that cannot be right stops here with
 * the key and the fix.
 */
export function resolveSettings(config: ConfigValues, env: Readonly<Record<string, string | undefined>>, projectDir: string): Settings {
    const get = (key: string) => {
        const v = config[`pinned:${key}`];
        return v === undefined || v === "" ? undefined : v;
    };
    const commit = get("commit");
    if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit)) {
        throw new ConfigError(
            `pinned:commit is "${commit}", not a full 40-hex commit hash.`,
            "record the commit the tag points at: pulumi config set pinned:commit $(git rev-parse <release>^{commit}).",
        );
    }
    const digest = get("imageDigest");
    // PINNED_RENDER_YAML_TO is how `pinned up` renders when no cluster is
    // configured, without writing a machine's path into the stack file.
    const renderYamlTo = get("renderYamlTo") ?? (env.PINNED_RENDER_YAML_TO || undefined);
    const registry = get("registry");
    if (registry !== undefined) {
        checkRegistry("pinned:registry", registry);
    }
    const repository = checked(
        "repository",
        get("repository") ?? DEFAULTS.repository,
        REPOSITORY,
        "pinned/app",
        "repository names are lower case: letters, digits, and . _ - / between them",
    );
    const appName = checked(
        "name",
        get("name") ?? DEFAULTS.name,
        DNS_LABEL_LETTER,
        "pinned-app",
        "a Kubernetes name: at most 63 lower-case letters, digits and -, starting with a letter",
    );
    const namespace = checked(
        "namespace",
        get("namespace") ?? DEFAULTS.namespace,
        DNS_LABEL,
        "default",
        "a namespace name: at most 63 lower-case letters, digits and -",
    );
    const imageDigest = digest === undefined ? undefined : guard("pinned:imageDigest", () => parseImageDigest(digest));
    if (imageDigest && registry !== undefined) {
        const where = splitImageDigest(imageDigest).repository;
        if (where !== `${registry}/${repository}`) {
            throw new ConfigError(
                `pinned:imageDigest is in ${where}, not in this release's registry and repository ${registry}/${repository}.`,
                "a release deploys only images from its own repository: record the digest the release's own up pushed (pinned up rebuilds it if you remove the key).",
            );
        }
    }
    return {
        commit,
        imageDigest,
        registry,
        registryUser: get("registryUser"),
        registryPullUser: get("registryPullUser"),
        repository,
        appDir: insideProject("app", get("app") ?? DEFAULTS.app, projectDir, false, env.PINNED_PROJECT_MIRROR),
        appName,
        namespace,
        port: whole("port", get("port"), DEFAULTS.port, 1, 65535),
        replicas: whole("replicas", get("replicas"), DEFAULTS.replicas, 0, MAX_REPLICAS),
        resources: resources(get),
        progressDeadlineSeconds: whole(
            "progressDeadlineSeconds",
            get("progressDeadlineSeconds"),
            DEFAULTS.progressDeadlineSeconds,
            10,
            3600,
        ),
        strictPolicy: flag("strictPolicy", get("strictPolicy"), DEFAULTS.strictPolicy),
        builder: builderOf(get("builder")),
        kubeconfig: checkedKubeconfig(get("kubeconfig"), env, projectDir),
        renderYamlTo:
            renderYamlTo === undefined
                ? undefined
                : insideProject("renderYamlTo", renderYamlTo, projectDir, true, env.PINNED_PROJECT_MIRROR),
    };
}

function builderOf(value: string | undefined): Builder {
    if (value === undefined) {
        return DEFAULTS.builder;
    }
    if (!(BUILDERS as readonly string[]).includes(value)) {
        throw new ConfigError(
            `pinned:builder is "${value}", not one of ${BUILDERS.join(", ")}.`,
            "set pinned:builder to buildah (reproducible, the default) or docker (the Docker provider, not reproducible), or remove it.",
        );
    }
    return value as Builder;
}

/** The most replicas a setting may ask for: more is a typo on a pipeline of this size. */
export const MAX_REPLICAS = 1000;

/** An image repository path (the Distribution spec's grammar), lower case. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A DNS-1123 label: namespaces. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1035 label: Service (and so Deployment) names must start with a letter. */
const DNS_LABEL_LETTER = /^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** `host[:port]`: a lower-case host name or IPv4 address, or a bracketed IPv6 address. */
const REGISTRY_HOST = /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/;

/** Refuses a registry given as a URL, with a path, or with a port out of range. */
function checkRegistry(where: string, value: string): void {
    const m = REGISTRY_HOST.exec(value);
    if (!m || (m[1] !== undefined && Number(m[1]) > 65535)) {
        const bare = value
            .replace(/^[a-z]+:\/\//i, "")
            .replace(/\/.*$/, "")
            .toLowerCase();
        throw new ConfigError(
            `${where} is "${value}", not a registry host[:port] (no scheme, no path, lower case).`,
            `give the host and port only, e.g. ${bare || "127.0.0.1:5000"}.`,
        );
    }
}

function checked(key: string, value: string, pattern: RegExp, example: string, rule: string): string {
    if (!pattern.test(value)) {
        throw new ConfigError(`pinned:${key} is "${value}", which is not valid: ${rule}.`, `pulumi config set pinned:${key} ${example}.`);
    }
    return value;
}

/**
 * A directory setting must stay inside the project: the app's directory is
 * the build context (a parent would send the whole disk to the builder), and
 * manifests are written only where the project keeps its files.
 */
function insideProject(key: string, value: string, projectDir: string, mayBeRoot: boolean, mirrorOf?: string): string {
    const abs = path.resolve(projectDir, value);
    const rel = path.relative(projectDir, abs);
    const fix = `name a directory inside the project, e.g. pulumi config set pinned:${key} ${key === "app" ? "app" : ".pinned/rendered"}.`;
    if (rel.startsWith("..") || path.isAbsolute(rel) || (!mayBeRoot && rel === "")) {
        throw new ConfigError(
            `pinned:${key} is "${value}", which is ${rel === "" ? "the project itself" : "outside the project"} (${projectDir}).`,
            fix,
        );
    }
    // Inside by name is not enough: a committed symlink on the way could
    // lead anywhere. What exists of the path is judged where it really is.
    // A preview's temporary project (PINNED_PROJECT_MIRROR) links to the
    // project's own files: inside either is inside.
    const real = realExisting(abs);
    const realProject = realExisting(projectDir);
    const inside = (root: string) => {
        const r = path.relative(root, real.path);
        return !r.startsWith("..") && !path.isAbsolute(r);
    };
    if (!inside(realProject.path) && !(mirrorOf && inside(realExisting(mirrorOf).path))) {
        throw new ConfigError(
            `pinned:${key} is "${value}", which leads through a symbolic link to ${real.path}, outside the project (${realProject.path}).`,
            fix,
        );
    }
    return abs;
}

/** The real path of the longest part of `p` that exists (symbolic links resolved). */
function realExisting(p: string): { path: string } {
    let existing = p;
    let rest = "";
    while (!fs.existsSync(existing) && path.dirname(existing) !== existing) {
        rest = path.join(path.basename(existing), rest);
        existing = path.dirname(existing);
    }
    return { path: path.join(fs.realpathSync(existing), rest) };
}

/** The environment variables pinned reads, checked. */
export interface EnvironmentSettings {
    readonly registry?: { readonly server: string; readonly username?: string; readonly password?: string };
    readonly cache?: string;
    readonly kubeconfig?: string;
}

/**
 * Checks the environment variables every command reads, before anything
 * runs: a refusal names the variable, its value and the fix. `cluster`:
 * the command reaches a cluster, so a KUBECONFIG must name files that exist.
 */
export function resolveEnvironment(env: Readonly<Record<string, string | undefined>>, opts: { cluster: boolean }): EnvironmentSettings {
    const server = env.PINNED_REGISTRY || undefined;
    const username = env.PINNED_REGISTRY_USER || undefined;
    const password = env.PINNED_REGISTRY_PASSWORD || undefined;
    if (server !== undefined) {
        checkRegistry("PINNED_REGISTRY", server);
    }
    if ((username === undefined) !== (password === undefined)) {
        const missing = username === undefined ? "PINNED_REGISTRY_USER" : "PINNED_REGISTRY_PASSWORD";
        throw new ConfigError(
            `${missing} is not set, but ${missing === "PINNED_REGISTRY_USER" ? "PINNED_REGISTRY_PASSWORD" : "PINNED_REGISTRY_USER"} is: a registry login needs both.`,
            `set ${missing} too, or unset both for an anonymous registry.`,
        );
    }
    if ((username !== undefined || password !== undefined) && server === undefined) {
        throw new ConfigError(
            "PINNED_REGISTRY_USER and PINNED_REGISTRY_PASSWORD are set, but PINNED_REGISTRY is not: they would be sent to no registry you named.",
            "set PINNED_REGISTRY to the registry host[:port] they belong to.",
        );
    }
    const pullUsername = env.PINNED_REGISTRY_PULL_USER || undefined;
    const pullPassword = env.PINNED_REGISTRY_PULL_PASSWORD || undefined;
    if ((pullUsername === undefined) !== (pullPassword === undefined)) {
        const missing = pullUsername === undefined ? "PINNED_REGISTRY_PULL_USER" : "PINNED_REGISTRY_PULL_PASSWORD";
        throw new ConfigError(
            `${missing} is not set, but ${missing === "PINNED_REGISTRY_PULL_USER" ? "PINNED_REGISTRY_PULL_PASSWORD" : "PINNED_REGISTRY_PULL_USER"} is: the cluster's pull login needs both.`,
            `set ${missing} too, or unset both.`,
        );
    }
    if (pullUsername !== undefined && username === undefined) {
        throw new ConfigError(
            "PINNED_REGISTRY_PULL_USER and PINNED_REGISTRY_PULL_PASSWORD are set, but PINNED_REGISTRY_USER and PINNED_REGISTRY_PASSWORD are not: a pull-only login is for a registry that has logins.",
            "set PINNED_REGISTRY with its push user and password too, or unset the pull pair.",
        );
    }
    const cache = env.PINNED_CACHE || undefined;
    if (cache !== undefined && !path.isAbsolute(cache)) {
        throw new ConfigError(
            `PINNED_CACHE is "${cache}", a relative path: it would change with the directory you run from.`,
            `give an absolute path, e.g. PINNED_CACHE=${path.resolve(cache)}.`,
        );
    }
    if (env.PULUMI_CONFIG_PASSPHRASE === "") {
        throw new ConfigError(
            "PULUMI_CONFIG_PASSPHRASE is set but empty: stack secrets (the registry password) would be encrypted with no key.",
            "unset it (the embedded environment keeps a generated passphrase), or set a real one.",
        );
    }
    const passphraseFile = env.PULUMI_CONFIG_PASSPHRASE === undefined ? env.PULUMI_CONFIG_PASSPHRASE_FILE || undefined : undefined;
    if (passphraseFile !== undefined && !(fs.existsSync(passphraseFile) && fs.readFileSync(passphraseFile, "utf8").trim() !== "")) {
        throw new ConfigError(
            `PULUMI_CONFIG_PASSPHRASE_FILE names ${passphraseFile}, which ${fs.existsSync(passphraseFile) ? "is empty" : "does not exist"}.`,
            "point it at the file holding the stacks' passphrase, or unset it.",
        );
    }
    const kubeconfig = env.KUBECONFIG || undefined;
    if (opts.cluster && kubeconfig !== undefined) {
        const missing = kubeconfig.split(path.delimiter).filter((f) => f !== "" && !fs.existsSync(f));
        if (missing.length > 0) {
            throw new ConfigError(
                `KUBECONFIG names ${missing.join(", ")}, which does not exist.`,
                "point KUBECONFIG at your cluster's kubeconfig file, or unset it to use the embedded cluster.",
            );
        }
    }
    return { registry: server ? { server, username, password } : undefined, cache, kubeconfig };
}

function resources(get: (key: string) => string | undefined): ContainerResources {
    const quantity = (key: keyof ContainerResources, parse: (t: string) => number | undefined, example: string) => {
        const text = get(key) ?? DEFAULTS[key];
        const value = parse(text);
        if (value === undefined || value <= 0) {
            throw new ConfigError(
                `pinned:${key} is "${text}", not a positive Kubernetes quantity.`,
                `set it like this: pulumi config set pinned:${key} ${example}.`,
            );
        }
        return { text, value };
    };
    const cpuRequest = quantity("cpuRequest", cpuMillicores, "100m");
    const cpuLimit = quantity("cpuLimit", cpuMillicores, "1");
    const memoryRequest = quantity("memoryRequest", memoryBytes, "64Mi");
    const memoryLimit = quantity("memoryLimit", memoryBytes, "256Mi");
    for (const [what, request, limit] of [
        ["cpu", cpuRequest, cpuLimit],
        ["memory", memoryRequest, memoryLimit],
    ] as const) {
        if (request.value > limit.value) {
            throw new ConfigError(
                `pinned:${what}Request (${request.text}) is above pinned:${what}Limit (${limit.text}); Kubernetes refuses that.`,
                `lower the request or raise the limit: pulumi config set pinned:${what}Limit ${request.text}.`,
            );
        }
    }
    return { cpuRequest: cpuRequest.text, cpuLimit: cpuLimit.text, memoryRequest: memoryRequest.text, memoryLimit: memoryLimit.text };
}

function whole(key: string, text: string | undefined, fallback: number, min: number, max: number): number {
    if (text === undefined) {
        return fallback;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
        throw new ConfigError(
            `pinned:${key} is "${text}", not a whole number from ${min} to ${max}.`,
            `set it to one: pulumi config set pinned:${key} ${fallback}.`,
        );
    }
    return n;
}

function flag(key: string, text: string | undefined, fallback: boolean): boolean {
    if (text === undefined) {
        return fallback;
    }
    if (text !== "true" && text !== "false") {
        throw new ConfigError(
            `pinned:${key} is "${text}", neither true nor false.`,
            `set it to true or false: pulumi config set pinned:${key} ${fallback}.`,
        );
    }
    return text === "true";
}

/** Re-labels an input error with the config key it came from. */
export function guard<T>(key: string, read: () => T): T {
    try {
        return read();
    } catch (e) {
        if (e instanceof PinnedError) {
            throw new ConfigError(`${key}: ${e.problem}`, e.fix);
        }
        throw e;
    }
}
