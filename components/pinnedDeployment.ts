import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ImageDigest } from "../core/imageDigest";

export interface PinnedDeploymentArgs {
    /** The image, by digest only: a tag does not type-check here. */
    readonly image: pulumi.Input<ImageDigest>;
    /** Release name, recorded as label and annotation. */
    readonly release: pulumi.Input<string>;
    /** Full commit hash, recorded as label and annotation. */
    readonly commit: pulumi.Input<string>;
    /**
     * Name of the Deployment and Service. Fixed, not auto-named, because
     * every release stack of a target manages this same object.
     * (Defaults of this and the settings below: core/settings.ts.)
     */
    readonly appName: string;
    /** The namespace; the provider's default namespace when absent. */
    readonly namespace?: pulumi.Input<string>;
    /** Port the container listens on. */
    readonly port: number;
    readonly replicas: number;
}

/** Annotation keys; the values say what runs and where it came from. */
export const ANNOTATIONS = {
    release: "pinned/release",
    commit: "pinned/git-hash",
    image: "pinned/image",
} as const;

/**
 * A Deployment and Service running one image digest.
 *
 * All release stacks of a target manage the same live Deployment, so:
 * - names are fixed (no auto-naming suffix) — every stack addresses one object;
 * - server-side apply with `pulumi.com/patchForce`: the stack being applied
 *   takes ownership of fields an earlier release's stack set (the image
 *   above all), instead of failing on a field-manager conflict;
 * - `retainOnDelete`: destroying an old release's stack leaves the live
 *   service running;
 * - `pinned up` refreshes before every update, so a stack whose state
 *   predates another release sees the cluster as it is and a rollback
 *   really patches it.
 */
export class PinnedDeployment extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    /** The image the Deployment's container runs, as written to the manifest. */
    readonly image: pulumi.Output<ImageDigest>;

    constructor(name: string, args: PinnedDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pinned:index:PinnedDeployment", name, {}, opts);
        const { appName, port } = args;
        const selector = { "app.kubernetes.io/name": appName };
        const labels = {
            ...selector,
            "app.kubernetes.io/version": args.release,
            "app.kubernetes.io/managed-by": "pinned",
            "pinned/git-hash": args.commit,
        };
        const annotations = {
            [ANNOTATIONS.release]: args.release,
            [ANNOTATIONS.commit]: args.commit,
            [ANNOTATIONS.image]: args.image,
        };
        const shared: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: true };

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name: appName,
                    namespace: args.namespace,
                    labels,
                    annotations: { ...annotations, "pulumi.com/patchForce": "true" },
                },
                spec: {
                    replicas: args.replicas,
                    // The selector is immutable: it names the app, never the release.
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels, annotations },
                        spec: {
                            containers: [
                                {
                                    name: "app",
                                    image: args.image,
                                    ports: [{ name: "http", containerPort: port }],
                                    readinessProbe: { httpGet: { path: "/", port: "http" } },
                                },
                            ],
                        },
                    },
                },
            },
            shared,
        );
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: {
                    name: appName,
                    namespace: args.namespace,
                    labels,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
            },
            shared,
        );
        this.image = pulumi.output(args.image);
        this.registerOutputs({ image: this.image });
    }
}
