/**
 * The annotation keys a release writes on its Deployment and its Lease; the values say
 * what runs and where it came from. Plain data, so the commands that only
 * read the cluster (status, releases) need not load the Pulumi SDK.
 */
export const ANNOTATIONS = {
    release: "pinned/release",
    commit: "pinned/git-hash",
    image: "pinned/image",
    /** On the deploy Lease (pipeline/cluster/lease.ts): who holds it. */
    leaseCommand: "pinned/lease-command",
    leaseHost: "pinned/lease-host",
    leasePid: "pinned/lease-pid",
} as const;
