import { Env } from "./env";
import { ImageDigest } from "./imageDigest";
import { provenanceMismatch, SlsaProvenance } from "./provenance";
import { findIdenticalBuild, RecipeBuild } from "./recipe";
import { RegistryCredentials } from "./registry";
import { signingTools, verifySignature } from "./signature";

/** What the registry holds under a release's tag, judged for reuse. */
export interface ReusableBuild {
    /** The image to deploy instead of building: signed by the release key, with this build's provenance. */
    readonly digest?: ImageDigest;
    /** An image with this build's label that may not be reused, and why not. */
    readonly candidate?: ImageDigest;
    readonly reason?: string;
}

/**
 * An image under the release's tag is reused only when the release key
 * signed it and its signed provenance names this build's inputs: the
 * `pinned.build-inputs` label alone is something anyone who can push could
 * have written. `pinned up` and the program under `pulumi up` both ask here;
 * `env` names the release key (signature.ts) and is what cosign runs with.
 */
export async function findReusableBuild(
    repository: string,
    tag: string,
    recipe: RecipeBuild,
    provenance: SlsaProvenance,
    creds: RegistryCredentials,
    env: Env,
): Promise<ReusableBuild> {
    const candidate = await findIdenticalBuild(repository, tag, recipe, creds);
    if (!candidate) {
        return {};
    }
    const signing = signingTools(env);
    if (!signing) {
        return { candidate, reason: "there is no release public key to check it with" };
    }
    const verdict = await verifySignature(candidate, creds, signing, env);
    const reason = verdict.ok ? provenanceMismatch(verdict.provenance, provenance) : verdict.reason;
    return reason ? { candidate, reason } : { digest: candidate };
}
