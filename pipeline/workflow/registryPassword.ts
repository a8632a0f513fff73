import { PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { bindPassword } from "../../core/registryLogin";
import { Context } from "../context";
import { projectWorkspace, setSecretConfig } from "../engine/workspace";
import { readReleaseRecord } from "../project/stackFile";

/** A password set: the secret's key, and the registry it is bound to. */
export interface PasswordSet {
    readonly release: string;
    readonly key: string;
    readonly registry: string;
}

/**
 * Sets release R's registry password (`pull`: the cluster's pull-only
 * one) as a secret of its stack, bound to the registry its stack file
 * names. `password` is asked for only once that registry is known.
 */
export async function setRegistryPassword(
    ctx: Context,
    requested: string,
    pull: boolean,
    password: (release: string) => string,
): Promise<PasswordSet> {
    const release = parseReleaseName(requested);
    const key = pull ? "pinned:registryPullPassword" : "pinned:registryPassword";
    const registry = readReleaseRecord(release, ctx.projectDir)?.config["pinned:registry"]?.value;
    if (!registry) {
        throw new PinnedError(
            `stacks/Pulumi.${release}.yaml names no pinned:registry, so there is no registry to bind the password to.`,
            `set it first: pulumi config set pinned:registry HOST[:PORT] --stack ${release}.`,
        );
    }
    const bound = bindPassword(registry, password(release));
    // Through stdin to the engine too: never on a command line.
    await setSecretConfig(ctx, await projectWorkspace(ctx), release, key, bound);
    return { release, key, registry };
}
