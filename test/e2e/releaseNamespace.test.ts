import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";

/**
 * A release whose stack file moves the app to another namespace
 * (pinned:namespace) than Pulumi.yaml names: every command reads and
 * changes the Deployment where the release's own stack file puts it.
 */
describe("a release's namespace comes from its own stack file (real engine, registry, API server)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("ns");
    let cluster: Cluster;
    let project: ReleaseProject;
    let projectNamespace: string;
    let moved: string;

    /** Tags `release` with a stack file that names `moved` as its namespace. */
    const releaseIn = async (release: string, files: Record<string, string> = {}) =>
        project.release(release, { ...files, [`stacks/Pulumi.${release}.yaml`]: `config:\n  pinned:namespace: ${moved}\n` });

    before(async () => {
        ({ cluster, project, namespace: projectNamespace } = suite);
        moved = `${projectNamespace}-moved`;
        cluster.kubectl(["create", "namespace", moved]);
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        await releaseIn(A);
        const a = project.up(A);
        assert.strictEqual(a.status, 0, a.output);
        await releaseIn(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-ns"') });
        const b = project.up(B);
        assert.strictEqual(b.status, 0, b.output);
    });

    after(() => cluster?.kubectl(["delete", "namespace", moved, "--wait=false"]));

    it("pinned up deploys there, and nothing to Pulumi.yaml's namespace", () => {
        assert.strictEqual(cluster.liveImage(moved), String(project.stackConfig(B)["pinned:imageDigest"]));
        assert.throws(() => cluster.liveImage(projectNamespace), /not found/i);
    });

    it("pinned status reports the release's namespace", () => {
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 0, status.output);
        assert.match(status.output, new RegExp(`in sync: ${moved}/pinned-app runs release ${B}`));
    });

    it("pinned rollback --to names, changes and checks that namespace, and exits 0", () => {
        const rollback = project.pinned(["rollback", "--to", A]);
        assert.strictEqual(rollback.status, 0, rollback.output);
        assert.match(rollback.output, new RegExp(`rolling back ${moved}/pinned-app: ${B} → ${A}`));
        assert.strictEqual(cluster.liveImage(moved), String(project.stackConfig(A)["pinned:imageDigest"]));
    });

    it("pinned releases marks the release live there", () => {
        const image = cluster.liveImage(moved);
        const live = [A, B].find((r) => String(project.stackConfig(r)["pinned:imageDigest"]) === image);
        const releases = project.pinned(["releases"]);
        assert.strictEqual(releases.status, 0, releases.output);
        const lines = releases.output.split("\n");
        assert.match(lines.find((l) => l.startsWith(live ?? "?")) ?? "", /\*\s*$/, releases.output);
        assert.ok(lines.filter((l) => /\*\s*$/.test(l)).length === 1, `one release is live: ${releases.output}`);
    });
});
