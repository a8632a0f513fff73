import { Cluster } from "./cluster";
import { LocalEnv, requireLocalEnv } from "./localEnv";
import { ReleaseProject } from "./releaseProject";

/** What a cluster-backed suite works with; filled in by its `before` hook. */
export interface ClusterProject {
    env: LocalEnv;
    cluster: Cluster;
    project: ReleaseProject;
    /** The suite's own namespace, so suites never see each other's Deployment. */
    readonly namespace: string;
    /** The suite's own repository in the registry. */
    readonly repository: string;
}

/**
 * Registers the hooks of a suite that releases into the embedded cluster:
 * before, a project copy with its own namespace and repository; after, both
 * removed. Call inside `describe`; read the fields inside tests.
 */
export function useClusterProject(name: string): ClusterProject {
    const fixture = { namespace: `pinned-${name}-${process.pid}`, repository: `pinned/e2e-${name}-${process.pid}` } as ClusterProject;
    before(async () => {
        fixture.env = requireLocalEnv();
        fixture.cluster = Cluster.require();
        fixture.cluster.kubectl(["create", "namespace", fixture.namespace]);
        fixture.project = await ReleaseProject.create(fixture.env, fixture.repository, { namespace: fixture.namespace });
    });
    after(() => {
        fixture.project?.remove();
        fixture.cluster?.kubectl(["delete", "namespace", fixture.namespace, "--wait=false"]);
    });
    return fixture;
}
