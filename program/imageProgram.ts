import * as pulumi from "@pulumi/pulumi";
import { ReleaseImage } from "../components/releaseImage";
import { GitSource } from "../core/git/gitSource";
import { ImageDigest } from "../core/imageDigest";

/** What the image-build program reads from one image request (pipeline/workflow/imageBuild.ts). */
export interface ImageProgramRequest {
    readonly appDir: string;
    readonly tag: string;
    readonly release: string;
    readonly source: Pick<GitSource, "commit" | "commitTime" | "remoteUrl">;
    readonly strictPolicy: boolean;
    readonly registry: { readonly server: string; readonly repository: string; readonly username?: string; readonly password?: string };
}

/**
 * The image-build program: the release's ReleaseImage alone, which the
 * engine runs as a small inline program before the release's own stack is
 * updated (BuildStack in pipeline/workflow/imageBuild.ts). Its one output is
 * the pushed image's digest.
 */
export async function imageProgram(req: ImageProgramRequest | undefined): Promise<{ imageDigest: pulumi.Output<ImageDigest> }> {
    if (!req) {
        throw new Error("BuildStack: up() sets the image request before the program runs");
    }
    const image = new ReleaseImage("image", {
        appDir: req.appDir,
        tag: req.tag,
        release: req.release,
        commit: req.source.commit,
        commitTime: req.source.commitTime,
        sourceUrl: req.source.remoteUrl,
        strictPolicy: req.strictPolicy,
        registry: {
            ...req.registry,
            password: req.registry.password === undefined ? undefined : pulumi.secret(req.registry.password),
        },
    });
    return { imageDigest: image.imageDigest };
}
