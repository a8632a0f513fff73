import * as fs from "fs";
import { finalBase } from "../../core/baseImage";
import { PinnedError } from "../../core/errors";
import { GitSource } from "../../core/git/gitSource";
import { containerTagFor } from "../../core/git/refTag";
import { Finding, hasErrors } from "../../core/policy/finding";
import { baseImagesOf } from "../../core/policy/recipePolicy";
import { releaseRecipePaths } from "../project/releaseRecipe";
import { releaseRegistry } from "../project/releaseRegistry";
import { ReleaseRecord, releaseSettings } from "../project/stackFile";
import { Steps } from "../steps";
import { buildImage } from "./imageBuild";
import { Context } from "../context";

/** The image side of a preview: built now from the recipe, or recorded by an earlier up. */
export type PreviewImage =
    | {
          readonly kind: "build";
          /** The recipe, relative to the project. */
          readonly recipe: string;
          readonly baseImages: readonly string[];
          /** The base the final image is built on, as the recipe pins it. */
          readonly finalBase?: string;
          readonly findings: readonly Finding[];
          /** `registry/repository:tag` the preview pushed (or would push): the preview repository. */
          readonly imageName: string;
          /** buildah rebuilds bit for bit, so a release's build gets the preview's digest; docker does not. */
          readonly reproducible?: boolean;
          /** Known once the preview built and pushed; otherwise `unknownBecause` says why. */
          readonly digest?: string;
          readonly unknownBecause?: string;
          /** The build or push itself failed: a release would fail the same way. */
          readonly buildFailed?: boolean;
          readonly buildSeconds?: number;
          /** The registry already had an image from exactly these inputs: reused, not rebuilt. */
          readonly reused?: boolean;
      }
    | { readonly kind: "recorded"; readonly digest: string };

/** Where previews push: `<repository>-preview`, next to the releases' repository. */
export function previewRepository(repository: string): string {
    return `${repository}-preview`;
}

/** The tag a preview pushes: the release's name, else the branch convention, else the commit. */
export function previewTag(
    source: Pick<GitSource, "commit" | "branch">,
    release: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
): string {
    if (release) {
        return release;
    }
    // A pull request's checkout is detached; the CI names its branch.
    const branch = env.GITHUB_HEAD_REF || source.branch;
    if (branch) {
        try {
            return containerTagFor({ kind: "branch", name: branch });
        } catch {
            // not a branch the convention names: fall through
        }
    }
    return `preview-${source.commit.slice(0, 12)}`;
}

/** Builds and pushes the image a release of this commit would ship, with the same component `pinned up` uses. */
export async function buildPreviewImage(
    ctx: Context,
    source: GitSource,
    release: string | undefined,
    record: ReleaseRecord | undefined,
    findings: readonly Finding[],
    progress: Steps,
): Promise<PreviewImage> {
    // The findings come from the caller's preflight: the recipe is judged once.
    const { dockerfile, recipe: recipePath } = releaseRecipePaths(ctx, record);
    const text = fs.existsSync(dockerfile) ? fs.readFileSync(dockerfile, "utf8") : "";
    const baseImages = baseImagesOf(text);
    const registry = await releaseRegistry(ctx, release, record);
    const tag = previewTag(source, release, ctx.env);
    const settings = releaseSettings(ctx, record);
    // Previews push to a repository of their own: a pull request's image is
    // never where a release looks for one to reuse.
    const repository = previewRepository(settings.repository);
    const imageName = `${registry?.server ?? "<registry>"}/${repository}:${tag}`;
    const base = {
        kind: "build" as const,
        recipe: recipePath,
        baseImages,
        finalBase: finalBase(text),
        findings,
        imageName,
        reproducible: settings.builder === "buildah",
    };
    if (hasErrors(findings)) {
        return { ...base, unknownBecause: "the recipe breaks the pinning policy (findings below), so it was not built" };
    }
    if (!registry) {
        return {
            ...base,
            unknownBecause: "no registry is configured (pinned env up starts one; PINNED_REGISTRY names another), so nothing was built",
        };
    }
    try {
        const built = await buildImage(
            ctx,
            {
                tag,
                release: release ?? tag,
                source,
                // The release's own build, pushed to the preview repository with the login found above.
                settings: { ...settings, registry: registry.server, repository, registryUser: registry.username },
                registryPassword: registry.password,
                // A preview (a pull request's code) holds no release key.
                sign: false,
            },
            progress,
        );
        return { ...base, digest: built.digest, reused: built.reused, buildSeconds: built.seconds };
    } catch (err) {
        if (!(err instanceof PinnedError)) {
            throw err;
        }
        return { ...base, buildFailed: true, unknownBecause: `the build failed: ${err.problem}` };
    }
}
