import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { deploymentDrift, restorePatch } from "../../pipeline/workflow/drift";

const R = "2026-11-27-001";

/**
 * A Deployment as one release stack declared it (its recorded inputs) and
 * as the API server returned it after that update (with every field it
 * defaults), both taken from a real update against the embedded cluster.
 */
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "deploymentDrift.json"), "utf8")) as {
    declared: Record<string, unknown>;
    live: Record<string, unknown>;
};
type PodSpec = {
    containers: Array<Record<string, unknown>>;
    volumes?: Array<Record<string, unknown>>;
    initContainers?: Array<Record<string, unknown>>;
};
const live = (): { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } } } =>
    JSON.parse(JSON.stringify(fixture.live)) as ReturnType<typeof live>;
const lines = (l: unknown) => deploymentDrift(fixture.declared, l, R).map((d) => `${d.path}: ${d.says}`);

describe("drift: the live Deployment against the declared one", () => {
    it("fields the API server defaults are no drift (imagePullPolicy, terminationMessagePath, dnsPolicy, probe defaults)", () => {
        const l = live();
        assert.strictEqual(l.spec.template.spec.containers[0].terminationMessagePath, "/dev/termination-log");
        assert.deepStrictEqual(lines(l), []);
    });

    it("a container added by hand is one line naming it, and its removal is guarded by its name", () => {
        const l = live();
        l.spec.template.spec.containers.push({ name: "sidecar", image: "busybox" });
        assert.deepStrictEqual(lines(l), [`containers[sidecar]: added by hand, not in release ${R}`]);
        assert.deepStrictEqual(restorePatch(deploymentDrift(fixture.declared, l, R)), [
            { op: "test", path: "/spec/template/spec/containers/1/name", value: "sidecar" },
            { op: "remove", path: "/spec/template/spec/containers/1" },
        ]);
    });

    it("a volume, an initContainers list and a pod annotation added by hand each count", () => {
        const l = live();
        l.spec.template.spec.volumes?.push({ name: "cache", emptyDir: {} });
        l.spec.template.spec.initContainers = [{ name: "setup", image: "busybox" }];
        l.spec.template.metadata.annotations["example.com/x"] = "1";
        assert.deepStrictEqual(lines(l).sort(), [
            `initContainers: added by hand, not in release ${R}`,
            `template.annotations[example.com/x]: added by hand, not in release ${R}`,
            `volumes[cache]: added by hand, not in release ${R}`,
        ]);
    });

    it("a declared field changed by hand, args and env added to the declared container, replicas scaled", () => {
        const l = live();
        const app = l.spec.template.spec.containers[0] as { readinessProbe: { periodSeconds: number }; args?: string[] };
        app.readinessProbe.periodSeconds = 30;
        app.args = ["--debug"];
        l.spec.replicas = 3;
        assert.deepStrictEqual(lines(l).sort(), [
            `containers[app].args: added by hand, not in release ${R}`,
            `containers[app].readinessProbe.periodSeconds: 30 by hand; release ${R} declares 2`,
            `replicas: 3 by hand; release ${R} declares 1`,
        ]);
    });

    it("a declared container removed by hand, and quantities written another way (0.5 CPU is 500m)", () => {
        const l = live();
        const app = l.spec.template.spec.containers[0] as { resources: { limits: { cpu: string } } };
        app.resources.limits.cpu = "0.5";
        assert.deepStrictEqual(lines(l), []);
        l.spec.template.spec.containers = [];
        assert.deepStrictEqual(lines(l), [`containers[app]: removed by hand; release ${R} declares it`]);
    });
});
