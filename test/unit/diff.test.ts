import * as assert from "assert";
import { parseEngineDiff, parsePropertyPath, show, valueAt } from "../../pipeline/engine/diff";

const OLD = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
const NEW = `127.0.0.1:5000/pinned/app@sha256:${"b".repeat(64)}`;
const DEP =
    "urn:pulumi:R::pinned::pinned:index:Release$pinned:index:PinnedDeployment$kubernetes:apps/v1:Deployment::release-app-deployment";

const deployment = (image: string, replicas: number) => ({
    type: "kubernetes:apps/v1:Deployment",
    inputs: {
        metadata: { name: "pinned-app", namespace: "default", annotations: { "pinned/release": image === OLD ? "A" : "B" } },
        spec: { replicas, template: { spec: { containers: [{ name: "app", image }] } } },
    },
});

describe("engine preview (pulumi preview --json)", () => {
    it("lists each changed resource with its operation and each changed property, old → new", () => {
        const json = JSON.stringify({
            steps: [
                { op: "same", urn: "urn:pulumi:R::pinned::pulumi:pulumi:Stack::pinned-R", newState: { type: "pulumi:pulumi:Stack" } },
                {
                    op: "update",
                    urn: DEP,
                    oldState: deployment(OLD, 1),
                    newState: deployment(NEW, 2),
                    diffReasons: ["spec", "metadata"],
                    detailedDiff: {
                        "spec.template.spec.containers[0].image": { kind: "update", inputDiff: true },
                        "spec.replicas": { kind: "update", inputDiff: true },
                        'metadata.annotations["pinned/release"]': { kind: "update", inputDiff: true },
                    },
                },
                {
                    op: "create",
                    urn: "urn:pulumi:R::pinned::kubernetes:core/v1:ConfigMap::extra",
                    newState: { type: "kubernetes:core/v1:ConfigMap", inputs: { metadata: { name: "extra" } } },
                },
                {
                    op: "create-replacement",
                    urn: "urn:x::svc",
                    newState: {
                        type: "kubernetes:core/v1:Service",
                        inputs: { metadata: { name: "s", namespace: "n" }, spec: { type: "ClusterIP" } },
                    },
                    oldState: {
                        type: "kubernetes:core/v1:Service",
                        inputs: { metadata: { name: "s", namespace: "n" }, spec: { type: "NodePort" } },
                    },
                    diffReasons: ["spec.type"],
                },
                { op: "delete-replaced", urn: "urn:x::svc", oldState: { type: "kubernetes:core/v1:Service" } },
                {
                    op: "delete",
                    urn: "urn:pulumi:R::pinned::docker:index/remoteImage:RemoteImage::image-build",
                    oldState: { type: "docker:index/remoteImage:RemoteImage", inputs: { name: "r/app:R" } },
                },
            ],
            diagnostics: [
                { severity: "warning", message: "\u001b[33mheads up\u001b[0m\n" },
                { severity: "info", message: "chatter" },
            ],
        });
        const diff = parseEngineDiff(`some text before\n${json}\n`);
        assert.deepStrictEqual(
            diff.changes.map((c) => [c.op, c.kind, c.name]),
            [
                ["update", "Deployment", "default/pinned-app"],
                ["create", "ConfigMap", "extra"],
                ["replace", "Service", "n/s"],
                ["delete", "RemoteImage", "r/app:R"],
            ],
        );
        assert.deepStrictEqual(diff.changes[0].properties, [
            { path: 'metadata.annotations["pinned/release"]', kind: "update", before: "A", after: "B" },
            { path: "spec.replicas", kind: "update", before: "1", after: "2" },
            { path: "spec.template.spec.containers[0].image", kind: "update", before: OLD, after: NEW },
        ]);
        assert.deepStrictEqual(diff.changes[2].properties, [{ path: "spec.type", kind: "update", before: "NodePort", after: "ClusterIP" }]);
        assert.deepStrictEqual(diff.warnings, ["heads up"]);
        assert.deepStrictEqual(diff.errors, []);
    });

    it("reports the engine's errors, once each", () => {
        const diff = parseEngineDiff(
            JSON.stringify({
                steps: [],
                diagnostics: [
                    { severity: "error", message: "boom" },
                    { severity: "error", message: "boom" },
                ],
            }),
        );
        assert.deepStrictEqual(diff.errors, ["boom"]);
    });

    it("reads property paths with indices and quoted keys", () => {
        assert.deepStrictEqual(parsePropertyPath('a.b[0]["c.d/e"].f'), ["a", "b", 0, "c.d/e", "f"]);
        assert.strictEqual(valueAt({ a: { b: [{ "c.d/e": { f: 7 } }] } }, 'a.b[0]["c.d/e"].f'), 7);
        assert.strictEqual(valueAt({ a: 1 }, "a.b.c"), undefined);
    });

    it("shows unknowns, secrets and long values as people read them", () => {
        assert.strictEqual(show("04da6b54-80e4-46f7-96ec-b56ff0331ba9"), "(known after the update)");
        assert.strictEqual(show({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: "x" }), "[secret]");
        assert.strictEqual(show({ a: 1 }), '{"a":1}');
        assert.strictEqual(show("x".repeat(200))?.length, 158);
        assert.strictEqual(show(undefined), undefined);
    });
});
