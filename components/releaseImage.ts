import * as path from "path";
import * as dockerProvider from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ImageDigest, parseImageDigest } from "../core/imageDigest";
import { formatFinding } from "../core/policy/finding";
import { assertRecipePasses, RecipeInputs, recipeBuild, recipeFindings, registryAddress } from "../core/recipe";
import { ImageSettings } from "../core/settings";

/**
 * The recipe at a commit and the image's name; the recipe's directory and
 * policy come from `settings`, with the rest of what the build reads.
 */
export interface ReleaseImageArgs extends Omit<RecipeInputs, "appDir" | "strictPolicy"> {
    /** Container tag, from the ref convention (a release's tag is its name). */
    readonly tag: string;
    /**
     * The build's settings, as core/settings.ts resolves them: the app's
     * directory, the recipe policy, the registry, repository and push user.
     */
    readonly settings: ImageSettings;
    /** The push user's password; pass it as a secret (`config.requireSecret`). */
    readonly registryPassword?: pulumi.Input<string>;
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

        const { settings } = args;
        // The recipe's own inputs: these args, its directory and policy from the settings.
        const inputs = { ...args, appDir: settings.appDir, strictPolicy: settings.strictPolicy };
        const findings = recipeFindings(inputs);
        assertRecipePasses(findings, path.resolve(settings.appDir, args.dockerfile ?? "Dockerfile"));
        for (const f of findings) {
            pulumi.log.warn(formatFinding(f), this);
        }

        const recipe = recipeBuild(inputs);
        this.buildArgs = recipe.buildArgs;
        const repository = `${settings.registry}/${settings.repository}`;
        this.imageName = pulumi.output(`${repository}:${args.tag}`);

        // The registry's credentials go to this provider only, as secrets:
        // the build pulls the base image with them, the push uses them.
        const docker = new dockerProvider.Provider(
            `${name}-docker`,
            {
                registryAuth: [
                    {
                        address: registryAddress(settings.registry),
                        username: settings.registryUser,
                        password: args.registryPassword ? pulumi.secret(args.registryPassword) : undefined,
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
