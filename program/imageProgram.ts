import * as pulumi from "@pulumi/pulumi";
import { ReleaseImage } from "../components/releaseImage";
import { GitSource } from "../core/git/gitSource";
import { ImageDigest } from "../core/imageDigest";
import { ImageSettings } from "../core/settings";

/** What the image-build program reads from one image request (pipeline/workflow/imageBuild.ts). */
export interface ImageProgramRequest {
    /** The container tag: the release's name, or the branch convention for an unreleased commit. */
    readonly tag: string;
    /** `org.opencontainers.image.version`: the release (or the tag, for an unreleased commit). */
    readonly release: string;
    readonly source: Pick<GitSource, "commit" | "commitTime" | "remoteUrl">;
    /** The build's settings, handed to ReleaseImage as they are. */
    readonly settings: ImageSettings;
    /** The push user's password, kept out of the settings: the program makes it a Pulumi secret. */
    readonly registryPassword?: string;
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
        tag: req.tag,
        release: req.release,
        commit: req.source.commit,
        commitTime: req.source.commitTime,
        sourceUrl: req.source.remoteUrl,
        settings: req.settings,
        registryPassword: req.registryPassword === undefined ? undefined : pulumi.secret(req.registryPassword),
    });
    return { imageDigest: image.imageDigest };
}
