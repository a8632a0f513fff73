import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../core/errors";
import { parseReleaseName, ReleaseName } from "../core/git/releaseName";
import { guard, resolveSettings, SETTING_KEYS, Settings } from "../core/settings";

/** Everything a release stack's configuration says, validated, as the program needs it. */
export interface ReleaseConfig extends Settings {
    readonly release: ReleaseName;
    /** Commit the release tag pointed at when the release was made. */
    readonly commit: string;
    /** Registry `host[:port]`. */
    readonly registry: string;
    /** The secret `pinned:registryPassword` as stored: bound to its registry (see core/registryLogin). */
    readonly registryPassword?: pulumi.Output<string>;
    /** The secret `pinned:registryPullPassword`, the pull-only user's, bound the same way. */
    readonly registryPullPassword?: pulumi.Output<string>;
}

/**
 * Reads `pinned:*` stack config through the one settings resolver, with the
 * environment and project directory the program's entry read. The stack
 * name is the release; config that contradicts it, a missing commit or
 * registry stops the run before any resource is registered.
 */
export function readReleaseConfig(
    env: Readonly<Record<string, string | undefined>>,
    projectDir: string,
    stack = pulumi.getStack(),
): ReleaseConfig {
    const config = new pulumi.Config("pinned");
    const values = Object.fromEntries(SETTING_KEYS.map((k) => [`pinned:${k}`, config.get(k)]));
    const release = guard("pinned:release", () => parseReleaseName(values["pinned:release"] ?? stack));
    if (release !== stack) {
        throw new ConfigError(
            `stack "${stack}" is configured for release ${release}; a release has exactly one stack of its own name.`,
            `select stack ${release} (pulumi stack select ${release}), or remove pinned:release from stacks/Pulumi.${stack}.yaml.`,
        );
    }
    const settings = resolveSettings(values, env, projectDir);
    if (!settings.commit) {
        throw new ConfigError(
            "pinned:commit is not set.",
            `record the commit the tag points at: pulumi config set pinned:commit $(git rev-parse ${release}^{commit}) --stack ${release}.`,
        );
    }
    if (!settings.registry) {
        throw new ConfigError(
            "pinned:registry is not set.",
            "set it to the registry host[:port] to push to, e.g. 127.0.0.1:5000: pulumi config set pinned:registry VALUE.",
        );
    }
    return {
        ...settings,
        release,
        commit: settings.commit,
        registry: settings.registry,
        registryPassword: config.getSecret("registryPassword"),
        registryPullPassword: config.getSecret("registryPullPassword"),
    };
}
