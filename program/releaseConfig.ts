import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DigestReference, parseDigestReference } from "../core/digestReference";
import { ConfigError, PinnedError } from "../core/errors";
import { parseReleaseName, ReleaseName } from "../core/git/releaseName";

/** Everything a release stack's configuration says, validated. */
export interface ReleaseConfig {
    readonly release: ReleaseName;
    /** Commit the release tag pointed at when the release was made. */
    readonly commit: string;
    /** Registry `host[:port]`. */
    readonly registry: string;
    /** Repository path in the registry. */
    readonly repository: string;
    readonly registryUser?: string;
    readonly registryPassword?: pulumi.Output<string>;
    /** The digest this release shipped; when set, nothing is built. */
    readonly imageDigest?: DigestReference;
    /** The app's directory (recipe and build context), absolute. */
    readonly appDir: string;
    readonly appName: string;
    readonly namespace: string;
    readonly port: number;
    readonly replicas: number;
    /** Kubeconfig path or contents; absent means the ambient one. */
    readonly kubeconfig?: string;
    /** Render manifests to this directory instead of applying them. */
    readonly renderYamlTo?: string;
    readonly strictPolicy: boolean;
}

const PREFIX = "pinned";

/**
 * Reads `pinned:*` stack config. The stack name is the release; config that
 * contradicts it, or a commit that is not a full hash, stops the run before
 * any resource is registered.
 */
export function readReleaseConfig(stack = pulumi.getStack(), projectDir = process.cwd()): ReleaseConfig {
    const config = new pulumi.Config(PREFIX);
    const release = guard("pinned:release", () => parseReleaseName(config.get("release") ?? stack));
    if (release !== stack) {
        throw new ConfigError(
            `stack "${stack}" is configured for release ${release}; a release has exactly one stack of its own name.`,
            `select stack ${release} (pulumi stack select ${release}), or remove pinned:release from stacks/Pulumi.${stack}.yaml.`,
        );
    }
    const commit = config.get("commit");
    if (!commit || !/^[0-9a-f]{40}$/.test(commit)) {
        throw new ConfigError(
            `pinned:commit is ${commit ? `"${commit}", not a full 40-hex commit hash` : "not set"}.`,
            `record the commit the tag points at: pulumi config set pinned:commit $(git rev-parse ${release}^{commit}) --stack ${release}.`,
        );
    }
    const recorded = config.get("imageDigest");
    const imageDigest = recorded ? guard("pinned:imageDigest", () => parseDigestReference(recorded)) : undefined;
    // PINNED_RENDER_YAML_TO is how `pinned up` renders when no cluster is
    // configured, without writing a machine's path into the stack file.
    const renderYamlTo = config.get("renderYamlTo") ?? process.env.PINNED_RENDER_YAML_TO;
    return {
        release,
        commit,
        registry: requireValue(config, "registry", "the registry host[:port] to push to, e.g. 127.0.0.1:5000"),
        repository: config.get("repository") ?? "pinned/app",
        registryUser: config.get("registryUser"),
        registryPassword: config.getSecret("registryPassword"),
        imageDigest,
        appDir: path.resolve(projectDir, config.get("app") ?? "app"),
        appName: config.get("name") ?? "pinned-app",
        namespace: config.get("namespace") ?? "default",
        port: config.getNumber("port") ?? 8080,
        replicas: config.getNumber("replicas") ?? 1,
        kubeconfig: config.get("kubeconfig"),
        renderYamlTo: renderYamlTo ? path.resolve(projectDir, renderYamlTo) : undefined,
        strictPolicy: config.getBoolean("strictPolicy") ?? true,
    };
}

function requireValue(config: pulumi.Config, key: string, what: string): string {
    const value = config.get(key);
    if (!value) {
        throw new ConfigError(`${PREFIX}:${key} is not set.`, `set it to ${what}: pulumi config set ${PREFIX}:${key} VALUE.`);
    }
    return value;
}

/** Re-labels an input error with the config key it came from. */
function guard<T>(key: string, read: () => T): T {
    try {
        return read();
    } catch (e) {
        if (e instanceof PinnedError) {
            throw new ConfigError(`${key}: ${e.problem}`, e.fix);
        }
        throw e;
    }
}
