import * as path from "path";
import * as dockerProvider from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ImageDigest, parseImageDigest } from "../core/imageDigest";
import { formatFinding } from "../core/policy/finding";
import { assertRecipePasses, RecipeInputs, recipeBuild, recipeFindings, registryAddress } from "../core/recipe";

/** Where the image is pushed, and as whom. */
export interface RegistryArgs {
    /** `host[:port]`, e.g. `127.0.0.1:5000`. */
    readonly server: pulumi.Input<string>;
    /** Repository path inside the registry, e.g. `pinned/app`. */
    readonly repository: string;
    readonly username?: pulumi.Input<string>;
    /** Pass as a secret (`config.requireSecret`). */
    readonly password?: pulumi.Input<string>;
}

export interface ReleaseImageArgs extends RecipeInputs {
    /** Container tag, from the ref convention (a release's tag is its name). */
    readonly tag: string;
    readonly registry: RegistryArgs;
}

/** The engine's type names of the build's two resources, for whoever reads engine events or state. */
export const IMAGE_BUILD_TYPE = "docker:index/remoteImage:RemoteImage";
export const IMAGE_PUSH_TYPE = "docker:index/registryImage:RegistryImage";

/**
 * Builds the app's image from its pinned recipe with the Docker provider
 * (`RemoteImage` builds, `RegistryImage` pushes), stamps it with the commit,
 * and exposes the one thing a deployment may use: the image digest of
 * what the registry stored.
 */
export class ReleaseImage extends pulumi.ComponentResource {
    /** `repository@sha256:…` of the pushed image. An empty digest fails the run. */
    readonly imageDigest: pulumi.Output<ImageDigest>;
    /** `registry/repository:tag`, the movable name people read. */
    readonly imageName: pulumi.Output<string>;
    /** The build args passed to the recipe, as recorded. */
    readonly buildArgs: Record<string, string>;

    constructor(name: string, args: ReleaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pinned:index:ReleaseImage", name, {}, opts);

        const findings = recipeFindings(args);
        assertRecipePasses(findings, path.resolve(args.appDir, args.dockerfile ?? "Dockerfile"));
        for (const f of findings) {
            pulumi.log.warn(formatFinding(f), this);
        }

        const recipe = recipeBuild(args);
        this.buildArgs = recipe.buildArgs;
        const repository = pulumi.interpolate`${args.registry.server}/${args.registry.repository}`;
        this.imageName = pulumi.interpolate`${repository}:${args.tag}`;

        // The registry's credentials go to this provider only, as secrets:
        // the build pulls the base image with them, the push uses them.
        const docker = new dockerProvider.Provider(
            `${name}-docker`,
            {
                registryAuth: [
                    {
                        address: pulumi.output(args.registry.server).apply(registryAddress),
                        username: args.registry.username,
                        password: args.registry.password ? pulumi.secret(args.registry.password) : undefined,
                    },
                ],
            },
            { parent: this },
        );
        const built = new dockerProvider.RemoteImage(
            `${name}-build`,
            {
                name: this.imageName,
                build: {
                    context: recipe.context,
                    dockerfile: recipe.dockerfile,
                    buildArgs: recipe.buildArgs,
                    // `labels` is the field the official plugin applies (it ignores `label`).
                    labels: recipe.labels,
                    // RUN steps reach the package mirror on loopback, as buildah's do.
                    networkMode: "host",
                },
                // The build context's content, so an edit rebuilds and a fresh
                // checkout of the same commit does not.
                triggers: { contextHash: recipe.contextHash },
                // Older releases' stacks may still deploy this image.
                keepLocally: true,
            },
            { parent: this, provider: docker },
        );
        const pushed = new dockerProvider.RegistryImage(
            `${name}-push`,
            {
                name: built.name,
                // Rollback redeploys an older digest: the registry keeps it.
                keepRemotely: true,
                triggers: { imageId: built.imageId },
            },
            { parent: this, provider: docker },
        );
        // parseImageDigest throws on "", "<none>@<none>" or a tag, which
        // fails the run before anything can deploy it.
        this.imageDigest = pulumi
            .all([repository, pushed.sha256Digest])
            .apply(([repo, digest]) => parseImageDigest(digest ? `${repo}@${digest}` : ""));
        this.registerOutputs({ imageDigest: this.imageDigest, imageName: this.imageName });
    }
}
