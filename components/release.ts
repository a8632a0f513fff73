import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ImageDigest } from "../core/imageDigest";
import { ContainerResources } from "../core/settings";
import { PinnedDeployment } from "./pinnedDeployment";
import { ReleaseImage } from "./releaseImage";

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
    readonly appDir: string;
    /** Where the image is pushed, and the login that pushes (and reads). */
    readonly registry: { server: string; repository: string; username?: string; password?: pulumi.Input<string> };
    /**
     * The login the cluster pulls with: a user that may only pull. The push
     * login never goes in the cluster; absent, the pods get no pull Secret.
     */
    readonly pullCredentials?: { username: string; password: pulumi.Input<string> };
    readonly strictPolicy?: boolean;
    /** Deployment and Service name, namespace, port and replicas: see PinnedDeployment. */
    readonly appName: string;
    readonly namespace?: string;
    readonly port: number;
    readonly replicas: number;
    readonly resources: ContainerResources;
    readonly progressDeadlineSeconds: number;
    /** The cluster to deploy to (or a rendering provider). */
    readonly provider: k8s.Provider;
    /** The provider renders manifests to files instead of applying them. */
    readonly rendering?: boolean;
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
        if (args.digest) {
            this.imageDigest = pulumi.output(args.digest);
        } else {
            if (!args.commitTime) {
                throw new Error("Release: commitTime is required when building an image");
            }
            this.image = new ReleaseImage(
                `${name}-image`,
                {
                    appDir: args.appDir,
                    tag: args.release,
                    release: args.release,
                    commit: args.commit,
                    commitTime: args.commitTime,
                    sourceUrl: args.sourceUrl,
                    registry: args.registry,
                    strictPolicy: args.strictPolicy,
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
                appName: args.appName,
                namespace: args.namespace,
                port: args.port,
                replicas: args.replicas,
                resources: args.resources,
                progressDeadlineSeconds: args.progressDeadlineSeconds,
                pullCredentials: args.pullCredentials && { server: args.registry.server, ...args.pullCredentials },
                rendering: args.rendering,
            },
            { parent: this, providers: { kubernetes: args.provider } },
        );
        this.registerOutputs({ imageDigest: this.imageDigest });
    }
}
