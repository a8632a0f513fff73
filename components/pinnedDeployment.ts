import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ANNOTATIONS } from "../core/annotations";
import { ImageDigest } from "../core/imageDigest";
import { Settings } from "../core/settings";

/** Credentials the cluster's nodes pull the image with. */
export interface PullCredentials {
    /** Registry `host[:port]`, as the image reference names it. */
    readonly server: string;
    readonly username: string;
    readonly password: pulumi.Input<string>;
}

/**
 * The resolved settings the Deployment, its Service and its pull Secret are
 * made from, as core/settings.ts resolves them (keys, defaults, checks). A
 * setting the Deployment uses is named here and read where it is used:
 * nothing between the program and this component copies it.
 */
export type DeploymentSettings = Pick<
    Settings,
    "appName" | "namespace" | "port" | "replicas" | "resources" | "progressDeadlineSeconds" | "renderYamlTo"
>;

export interface PinnedDeploymentArgs {
    /** The image, by digest only: a tag does not type-check here. */
    readonly image: pulumi.Input<ImageDigest>;
    /** Release name, recorded as label and annotation. */
    readonly release: pulumi.Input<string>;
    /** Full commit hash, recorded as label and annotation. */
    readonly commit: pulumi.Input<string>;
    /**
     * The Deployment's settings. `appName` names the Deployment and Service,
     * fixed rather than auto-named, because every release stack of a target
     * manages this same object. With `renderYamlTo`, manifests are rendered
     * to files, not applied: the pull Secret is not written (a rendered
     * Secret would hold the password in plain text); the cluster that
     * applies the files provides `<appName>-registry` itself.
     */
    readonly settings: DeploymentSettings;
    /**
     * Registry credentials for the nodes: a `kubernetes.io/dockerconfigjson`
     * Secret `<appName>-registry` is made from them (a Pulumi secret) and the
     * pods reference it. Absent for a registry that needs no login.
     */
    readonly pullCredentials?: PullCredentials;
}

/** ReplicaSets kept for `kubectl rollout undo` and for reading past rollouts. */
export const REVISION_HISTORY_LIMIT = 5;

export { ANNOTATIONS };

/**
 * A Deployment and Service running one image digest.
 *
 * All release stacks of a target manage the same live Deployment, so:
 * - names are fixed (no auto-naming suffix) — every stack addresses one object;
 * - server-side apply with `pulumi.com/patchForce` on every object: the stack
 *   being applied takes ownership of fields an earlier release's stack set
 *   (the image, the pull Secret's login), instead of failing on a
 *   field-manager conflict;
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
        const { settings } = args;
        const { appName, namespace } = settings;
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
        const pullSecretName = `${appName}-registry`;
        const creds = args.pullCredentials;
        const pullSecret =
            creds && settings.renderYamlTo === undefined
                ? new k8s.core.v1.Secret(
                      `${name}-pull-secret`,
                      {
                          metadata: {
                              name: pullSecretName,
                              namespace,
                              labels: { ...selector, "app.kubernetes.io/managed-by": "pinned" },
                              // Like the Deployment's: a release whose login differs (another
                              // clone's, or a rotated password) takes the Secret over instead
                              // of failing on the field manager that wrote the old one.
                              annotations: { "pulumi.com/patchForce": "true" },
                          },
                          type: "kubernetes.io/dockerconfigjson",
                          // data, not stringData: the API server returns data, so an
                          // unchanged password is no change on the next update.
                          data: {
                              ".dockerconfigjson": pulumi.secret(
                                  dockerConfigJson(creds).apply((doc) => Buffer.from(doc).toString("base64")),
                              ),
                          },
                      },
                      shared,
                  )
                : undefined;

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name: appName,
                    namespace,
                    labels,
                    annotations: {
                        ...annotations,
                        "pulumi.com/patchForce": "true",
                        // The engine's await gives up a little after the
                        // Deployment itself reports ProgressDeadlineExceeded.
                        "pulumi.com/timeoutSeconds": String(settings.progressDeadlineSeconds + 30),
                    },
                },
                spec: {
                    replicas: settings.replicas,
                    // The selector is immutable: it names the app, never the release.
                    selector: { matchLabels: selector },
                    // A new pod must be Ready before an old one goes: a
                    // release whose pods never become Ready leaves the old
                    // ones serving.
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    progressDeadlineSeconds: settings.progressDeadlineSeconds,
                    revisionHistoryLimit: REVISION_HISTORY_LIMIT,
                    template: {
                        metadata: { labels, annotations },
                        spec: restrictedPodSpec(args.image, settings, creds ? pullSecretName : undefined),
                    },
                },
            },
            { ...shared, dependsOn: pullSecret ? [pullSecret] : [] },
        );
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: {
                    name: appName,
                    namespace,
                    labels,
                    annotations: {
                        "pulumi.com/patchForce": "true",
                        // The engine would wait until no selected pod is
                        // unready: a failing release's pods would hold the
                        // Service for the full await timeout (10 minutes)
                        // after the Deployment's own await already failed.
                        // Readiness is the Deployment's to judge.
                        "pulumi.com/skipAwait": "true",
                    },
                },
                spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
            },
            shared,
        );
        this.image = pulumi.output(args.image);
        this.registerOutputs({ image: this.image });
    }
}

/** A `.dockerconfigjson` document for one registry. */
export function dockerConfigJson(creds: PullCredentials): pulumi.Output<string> {
    return pulumi.output(creds.password).apply((password) =>
        JSON.stringify({
            auths: {
                [creds.server]: {
                    username: creds.username,
                    password,
                    auth: Buffer.from(`${creds.username}:${password}`).toString("base64"),
                },
            },
        }),
    );
}

/**
 * The pod: one container that passes the Pod Security Standards
 * "restricted" profile (non-root, no privilege escalation, no capabilities,
 * the runtime's seccomp profile), with a read-only root filesystem and a
 * small writable /tmp, no service account token (the app does not call the
 * API), sized, and probed.
 */
export function restrictedPodSpec(
    image: pulumi.Input<string>,
    settings: Pick<DeploymentSettings, "port" | "resources">,
    pullSecretName?: string,
): k8s.types.input.core.v1.PodSpec {
    const { resources } = settings;
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        ...(pullSecretName ? { imagePullSecrets: [{ name: pullSecretName }] } : {}),
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
            {
                name: "app",
                image,
                ports: [{ name: "http", containerPort: settings.port }],
                resources: {
                    requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
                    limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
                },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                },
                readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 2, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: "/", port: "http" }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
    };
}
