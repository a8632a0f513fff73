import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ImageDigest } from "../core/imageDigest";
import { ImageSettings } from "../core/settings";
import { DeploymentSettings, PinnedDeployment, PullCredentials } from "./pinnedDeployment";
import { ReleaseImage } from "./releaseImage";

/**
 * The resolved settings a release uses: the Deployment's and the image
 * build's. A release always has a registry: the program refuses a stack
 * without one before it makes a Release.
 */
export type ReleaseSettings = DeploymentSettings & ImageSettings;

export interface ReleaseArgs {
    readonly release: string;
    readonly commit: string;
    /** Commit time, for the image's `created` label. Needed only when building. */
    readonly commitTime?: string;
    readonly sourceUrl?: string;
    /**
     * The image to deploy as it is: the digest this release recorded (what
     * rollback runs), or an identical build already in the registry. When
     * given, nothing is built: the stack deploys exactly these bytes.
     */
    readonly digest?: ImageDigest;
    /** Passed as they are to the image and the Deployment, each reading what it uses. */
    readonly settings: ReleaseSettings;
    /** The push login's password (`settings.registryUser`'s), a Pulumi secret. */
    readonly registryPassword?: pulumi.Input<string>;
    /**
     * The login the cluster pulls with: a user that may only pull. The push
     * login never goes in the cluster; absent, the pods get no pull Secret.
     */
    readonly pullCredentials?: Omit<PullCredentials, "server">;
    /** The cluster to deploy to (or a rendering provider). */
    readonly provider: k8s.Provider;
}

/** One release: its image (built, or recorded) deployed by digest. */
export class Release extends pulumi.ComponentResource {
    readonly imageDigest: pulumi.Output<ImageDigest>;
    /** The image component, when this run builds one. */
    readonly image?: ReleaseImage;
    readonly deployment: PinnedDeployment;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // Children are named after the component, so the alias of a stack
        // from before names were stable (the component was named after its
        // release) carries over to every child.
        super("pinned:index:Release", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { name: args.release }] });
        const { settings } = args;
        if (args.digest) {
            this.imageDigest = pulumi.output(args.digest);
        } else {
            if (!args.commitTime) {
                throw new Error("Release: commitTime is required when building an image");
            }
            this.image = new ReleaseImage(
                `${name}-image`,
                {
                    tag: args.release,
                    release: args.release,
                    commit: args.commit,
                    commitTime: args.commitTime,
                    sourceUrl: args.sourceUrl,
                    settings,
                    registryPassword: args.registryPassword,
                },
                { parent: this },
            );
            this.imageDigest = this.image.imageDigest;
        }
        this.deployment = new PinnedDeployment(
            `${name}-app`,
            {
                image: this.imageDigest,
                release: args.release,
                commit: args.commit,
                settings,
                pullCredentials: args.pullCredentials && { server: settings.registry, ...args.pullCredentials },
            },
            { parent: this, providers: { kubernetes: args.provider } },
        );
        this.registerOutputs({ imageDigest: this.imageDigest });
    }
}
