import * as path from "path";
import { ImageDigest, parseImageDigest } from "./imageDigest";
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
    readonly registryUser?: string;
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
    /** Kubeconfig path or contents; absent means the ambient one. */
    readonly kubeconfig?: string;
    /** Render manifests to this directory instead of applying them, absolute. */
    readonly renderYamlTo?: string;
}

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
} as const;

/** Every `pinned:*` stack setting the program reads (the secret registryPassword aside). */
export const SETTING_KEYS = [
    "release",
    "commit",
    "imageDigest",
    "registry",
    "registryUser",
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
    return {
        commit,
        imageDigest: digest === undefined ? undefined : guard("pinned:imageDigest", () => parseImageDigest(digest)),
        registry: get("registry"),
        registryUser: get("registryUser"),
        repository: get("repository") ?? DEFAULTS.repository,
        appDir: path.resolve(projectDir, get("app") ?? DEFAULTS.app),
        appName: get("name") ?? DEFAULTS.name,
        namespace: get("namespace") ?? DEFAULTS.namespace,
        port: whole("port", get("port"), DEFAULTS.port, 1, 65535),
        replicas: whole("replicas", get("replicas"), DEFAULTS.replicas, 0, 1000),
        resources: resources(get),
        progressDeadlineSeconds: whole(
            "progressDeadlineSeconds",
            get("progressDeadlineSeconds"),
            DEFAULTS.progressDeadlineSeconds,
            10,
            3600,
        ),
        strictPolicy: flag("strictPolicy", get("strictPolicy"), DEFAULTS.strictPolicy),
        kubeconfig: get("kubeconfig"),
        renderYamlTo: renderYamlTo === undefined ? undefined : path.resolve(projectDir, renderYamlTo),
    };
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
