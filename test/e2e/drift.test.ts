import * as assert from "assert";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";

/**
 * Drift is the whole object: what someone adds to the live Deployment by
 * hand (a sidecar, a volume) is drift for `pinned status`, stops the no-op
 * proof, and is gone after `pinned up` of the same release. Real engine,
 * registry, API server and node.
 */
describe("drift of the live Deployment beyond its image (real engine, API server, node)", function () {
    this.timeout(15 * 60 * 1000);
    const suite = useClusterProject("drift");
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;

    before(() => ({ cluster, project, namespace: NAMESPACE } = suite));

    const podSpec = () =>
        JSON.parse(cluster.kubectl(["get", "deployment", "pinned-app", "-n", NAMESPACE, "-o", "jsonpath={.spec.template.spec}"])) as {
            containers: Array<{ name: string; terminationMessagePath?: string; imagePullPolicy?: string }>;
            volumes?: Array<{ name: string }>;
            dnsPolicy?: string;
        };
    const patch = (ops: unknown[]) =>
        cluster.kubectl(["patch", "deployment", "pinned-app", "-n", NAMESPACE, "--type=json", "-p", JSON.stringify(ops)]);
    const rolledOut = () => cluster.kubectl(["rollout", "status", "deployment/pinned-app", "-n", NAMESPACE, "--timeout=120s"]);

    it("release A; the fields the API server filled in are no drift", async () => {
        await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        const spec = podSpec();
        // Present live, declared nowhere: the API server's defaults.
        assert.strictEqual(spec.containers[0].terminationMessagePath, "/dev/termination-log");
        assert.strictEqual(spec.containers[0].imagePullPolicy, "IfNotPresent");
        assert.strictEqual(spec.dnsPolicy, "ClusterFirst");
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 0, status.output);
        assert.match(status.output, /^in sync:/m);
    });

    it("a sidecar added by hand: status names it with the fix and exits 3; up of A runs the engine and removes it", () => {
        patch([
            {
                op: "add",
                path: "/spec/template/spec/containers/-",
                value: {
                    name: "sidecar",
                    image: cluster.liveImage(NAMESPACE),
                    command: ["python3", "-c", "import time; time.sleep(3600)"],
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
            },
        ]);
        rolledOut();
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 3, status.output);
        assert.match(status.output, new RegExp(`^ {2}containers\\[sidecar\\]: added by hand, not in release ${A}$`, "m"));
        assert.match(status.output, new RegExp(`fix: pinned up --release ${A} restores what the release declares`));

        const up = project.up(A);
        assert.strictEqual(up.status, 0, up.output);
        assert.doesNotMatch(up.output, /engine: not started/);
        assert.match(up.output, /engine: runs, because containers\[sidecar\]: added by hand/);
        assert.deepStrictEqual(
            podSpec().containers.map((c) => c.name),
            ["app"],
            up.output,
        );
        const after = project.pinned(["status"]);
        assert.strictEqual(after.status, 0, after.output);
    });

    it("a volume added by hand: status names it; up of A removes it; the next up is a no-op again", () => {
        patch([{ op: "add", path: "/spec/template/spec/volumes/-", value: { name: "cache", emptyDir: {} } }]);
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 3, status.output);
        assert.match(status.output, new RegExp(`^ {2}volumes\\[cache\\]: added by hand, not in release ${A}$`, "m"));

        const up = project.up(A);
        assert.strictEqual(up.status, 0, up.output);
        assert.doesNotMatch(up.output, /engine: not started/);
        assert.deepStrictEqual(
            (podSpec().volumes ?? []).map((v) => v.name),
            ["tmp"],
            up.output,
        );
        const again = project.up(A);
        assert.strictEqual(again.status, 0, again.output);
        assert.match(again.output, /engine: not started/);
    });
});
