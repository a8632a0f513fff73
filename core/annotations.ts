/**
 * The annotation keys a release writes on its Deployment; the values say
 * what runs and where it came from. Plain data, so the commands that only
 * read the cluster (status, releases) need not load the Pulumi SDK.
 */
export const ANNOTATIONS = {
    release: "pinned/release",
    commit: "pinned/git-hash",
    image: "pinned/image",
} as const;
