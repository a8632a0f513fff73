import * as path from "path";
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, BUILD_INPUTS_LABEL, RecipeBuild } from "./recipe";

/**
 * The provenance a release image carries, as a signed in-toto attestation
 * with an SLSA v1 predicate (`cosign attest --type slsaprovenance1`): what it
 * was built from (commit, recipe, base, build args) and by what (the builder
 * and its version). Reuse of an image already under a release's tag needs
 * this attestation, signed by the release key, and its build inputs equal
 * to the ones the release would build from.
 */
export const PROVENANCE_PREDICATE_TYPE = "https://slsa.dev/provenance/v1";

/** Names this project's build recipe; a URN, so it points at no server. */
export const BUILD_TYPE = "urn:pinned:build-type:release-image:v1";

export interface ProvenanceInputs {
    readonly release: string;
    readonly commit: string;
    readonly commitTime: string;
    readonly sourceUrl?: string;
    /** The recipe, relative to the repository root (`app/Dockerfile`). */
    readonly recipePath: string;
    readonly recipe: Pick<RecipeBuild, "buildArgs" | "labels" | "contextHash">;
    /** `buildah 1.28.2`, or `docker` for the Docker provider's builds. */
    readonly builder: string;
}

export interface SlsaProvenance {
    readonly buildDefinition: {
        readonly buildType: string;
        readonly externalParameters: {
            readonly release: string;
            readonly recipe: string;
            readonly buildArgs: Record<string, string>;
            readonly buildInputs: string;
            readonly contextHash: string;
        };
        readonly internalParameters: { readonly builder: string };
        readonly resolvedDependencies: ReadonlyArray<{ readonly uri: string; readonly digest: Record<string, string> }>;
    };
    readonly runDetails: {
        readonly builder: { readonly id: string; readonly version: Record<string, string> };
        readonly metadata: { readonly invocationId: string };
    };
}

/** The provenance of building `recipe` from a checkout of the source: what pinned up and the program both attest and compare. */
export function provenanceOfBuild(
    release: string,
    source: { readonly root: string; readonly commit: string; readonly commitTime: string; readonly remoteUrl?: string },
    recipe: Pick<RecipeBuild, "buildArgs" | "labels" | "contextHash" | "dockerfile">,
    builder: string,
): SlsaProvenance {
    return provenanceOf({
        release,
        commit: source.commit,
        commitTime: source.commitTime,
        sourceUrl: source.remoteUrl,
        recipePath: path.relative(source.root, recipe.dockerfile),
        recipe,
        builder,
    });
}

export function provenanceOf(inputs: ProvenanceInputs): SlsaProvenance {
    const buildInputs = inputs.recipe.labels[BUILD_INPUTS_LABEL];
    if (!buildInputs) {
        throw new Error("provenanceOf: the recipe has no build-inputs label");
    }
    const dependencies: Array<{ uri: string; digest: Record<string, string> }> = [
        { uri: inputs.sourceUrl ? `git+${inputs.sourceUrl}` : "git+local", digest: { gitCommit: inputs.commit } },
    ];
    const baseName = inputs.recipe.labels[BASE_NAME_LABEL];
    const baseDigest = inputs.recipe.labels[BASE_DIGEST_LABEL];
    if (baseName && baseDigest) {
        const [algorithm, hex] = baseDigest.split(":");
        dependencies.push({ uri: `oci://${baseName}`, digest: { [algorithm]: hex } });
    }
    const [builderName, builderVersion] = inputs.builder.split(" ");
    return {
        buildDefinition: {
            buildType: BUILD_TYPE,
            externalParameters: {
                release: inputs.release,
                recipe: inputs.recipePath,
                buildArgs: inputs.recipe.buildArgs,
                buildInputs,
                contextHash: inputs.recipe.contextHash,
            },
            internalParameters: { builder: inputs.builder },
            resolvedDependencies: dependencies,
        },
        runDetails: {
            builder: { id: `urn:pinned:builder:${builderName}`, version: builderVersion ? { [builderName]: builderVersion } : {} },
            // The release and commit name the run; no clock, so the same
            // build attests the same way.
            metadata: { invocationId: `${inputs.release}@${inputs.commit}` },
        },
    };
}

/**
 * Why a verified provenance does not vouch for reusing an image for this
 * build, or undefined when it does: the build type and the build inputs
 * (which cover recipe, context, build args, labels and base) must be this
 * build's.
 */
export function provenanceMismatch(found: unknown, wanted: SlsaProvenance): string | undefined {
    const definition = (found as Partial<SlsaProvenance> | undefined)?.buildDefinition;
    if (!definition) {
        return "its provenance has no build definition";
    }
    if (definition.buildType !== wanted.buildDefinition.buildType) {
        return `its provenance is of build type ${String(definition.buildType)}, not ${wanted.buildDefinition.buildType}`;
    }
    const inputs = definition.externalParameters?.buildInputs;
    if (inputs !== wanted.buildDefinition.externalParameters.buildInputs) {
        return `its provenance names other build inputs (${String(inputs)}) than this build (${wanted.buildDefinition.externalParameters.buildInputs})`;
    }
    return undefined;
}

/**
 * Why a verified provenance does not describe the release's recorded build
 * (its commit, its builder), or undefined when it does: what `pinned
 * verify` checks of the attestation.
 */
export function provenanceDisagrees(found: unknown, commit: string, builder: string): string | undefined {
    const p = found as Partial<SlsaProvenance> | undefined;
    const definition = p?.buildDefinition;
    if (!definition) {
        return "its provenance has no build definition";
    }
    const commits = (definition.resolvedDependencies ?? []).map((d) => d.digest?.gitCommit).filter(Boolean);
    if (!commits.includes(commit)) {
        return `its provenance names commit ${commits[0] ?? "(none)"}, not the release's ${commit}`;
    }
    if (definition.internalParameters?.builder !== builder) {
        return `its provenance names builder ${String(definition.internalParameters?.builder)}, not ${builder}`;
    }
    return undefined;
}
