import * as assert from "assert";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describeStep, EngineProgress, summarizeChanges } from "../../pipeline/engine/progress";
import { IMAGE_BUILD_TYPE, IMAGE_PUSH_TYPE } from "../../components/releaseImage";
import { progressHarness as harness } from "../support/progressHarness";

const BUILD_URN = "urn:pulumi:build::pinned-image::pinned:index:ReleaseImage$docker:index/remoteImage:RemoteImage::image-build";
const PUSH_URN = "urn:pulumi:build::pinned-image::pinned:index:ReleaseImage$docker:index/registryImage:RegistryImage::image-push";
const DEP_URN = "urn:pulumi:R::pinned::pinned:index:Release$kubernetes:apps/v1:Deployment::R-app-deployment";

function pre(op: string, urn: string, type: string, inputs: Record<string, unknown> = {}): EngineEvent {
    return { sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn, type, new: { inputs } } } } as unknown as EngineEvent;
}
function outputs(urn: string, type: string, outs: Record<string, unknown> = {}): EngineEvent {
    return {
        sequence: 0,
        timestamp: 0,
        resOutputsEvent: { metadata: { op: "create", urn, type, new: { outputs: outs } } },
    } as unknown as EngineEvent;
}

describe("engine events as progress steps", () => {
    it("the Docker provider's build and push become steps named after the image", () => {
        const h = harness(false);
        const engine = new EngineProgress(h.progress, { summary: false });
        engine.onEvent(pre("create", BUILD_URN, IMAGE_BUILD_TYPE, { name: "r/app:R" }));
        h.advance(42_000);
        engine.onEvent(outputs(BUILD_URN, IMAGE_BUILD_TYPE));
        engine.onEvent(pre("create", PUSH_URN, IMAGE_PUSH_TYPE, { name: "r/app:R" }));
        engine.onEvent(outputs(PUSH_URN, IMAGE_PUSH_TYPE, { sha256Digest: `sha256:${"1".repeat(64)}` }));
        engine.onEvent(pre("create", PUSH_URN, IMAGE_PUSH_TYPE, { name: "r/app:R" }));
        engine.onEvent({
            resOpFailedEvent: { metadata: { op: "create", urn: PUSH_URN, type: IMAGE_PUSH_TYPE }, status: 1, steps: 1 },
        } as unknown as EngineEvent);
        engine.onEvent({
            summaryEvent: { resourceChanges: { create: 3 }, durationSeconds: 50, maybeCorrupt: false, policyPacks: {} },
        } as unknown as EngineEvent);
        engine.close();
        assert.deepStrictEqual(h.text().trim().split("\n"), [
            "building r/app:R …",
            "✓ building r/app:R (42s)",
            "pushing r/app:R …",
            `✓ pushing r/app:R (0s): sha256:${"1".repeat(64)}`,
            "pushing r/app:R …",
            "✗ pushing r/app:R failed (0s)",
        ]);
    });
    it("names engine steps as people read them", () => {
        assert.strictEqual(describeStep(IMAGE_BUILD_TYPE, BUILD_URN, "create", "r/app:R"), "building r/app:R");
        assert.strictEqual(describeStep(IMAGE_PUSH_TYPE, PUSH_URN, "create", "r/app:R"), "pushing r/app:R");
        assert.strictEqual(describeStep(IMAGE_PUSH_TYPE, PUSH_URN, "delete", "r/app:R"), undefined, "deleting a push removes nothing");
        assert.strictEqual(
            describeStep("kubernetes:apps/v1:Deployment", DEP_URN, "update", "pinned-app"),
            "rolling out Deployment pinned-app",
        );
        assert.strictEqual(describeStep("kubernetes:core/v1:Service", "urn:x::svc", "create"), "applying Service svc");
        assert.strictEqual(describeStep("kubernetes:core/v1:Service", "urn:x::svc", "delete"), "deleting Service svc");
        for (const quiet of ["pulumi:pulumi:Stack", "pulumi:providers:kubernetes", "pulumi:providers:docker", "pinned:index:Release"]) {
            assert.strictEqual(describeStep(quiet, "urn:x::y", "create"), undefined, quiet);
        }
        assert.strictEqual(summarizeChanges({ update: 1, same: 3, delete: 0 }), "1 updated, 3 unchanged");
        assert.strictEqual(summarizeChanges({}), "no resources");
    });

    it("turns engine events into steps, warnings and a summary", () => {
        const h = harness(false);
        const engine = new EngineProgress(h.progress);
        engine.onEvent({
            resourcePreEvent: { metadata: { op: "refresh", urn: DEP_URN, type: "kubernetes:apps/v1:Deployment" } },
        } as unknown as EngineEvent);
        engine.onEvent(pre("same", "urn:x::svc", "kubernetes:core/v1:Service"));
        engine.onEvent(pre("update", DEP_URN, "kubernetes:apps/v1:Deployment", { metadata: { name: "pinned-app" } }));
        engine.onEvent({
            diagnosticEvent: { message: "\u001b[33mbase image has no digest\u001b[0m\n", severity: "warning", color: "always" },
        } as unknown as EngineEvent);
        engine.onEvent({
            diagnosticEvent: { message: "base image has no digest", severity: "warning", color: "always" },
        } as unknown as EngineEvent);
        engine.onEvent({ diagnosticEvent: { message: "debug chatter", severity: "info", color: "always" } } as unknown as EngineEvent);
        engine.onEvent({
            resOpFailedEvent: { metadata: { op: "update", urn: DEP_URN, type: "kubernetes:apps/v1:Deployment" }, status: 1, steps: 1 },
        } as unknown as EngineEvent);
        engine.onEvent({
            summaryEvent: { resourceChanges: { update: 1, same: 2 }, durationSeconds: 7, maybeCorrupt: false, policyPacks: {} },
        } as unknown as EngineEvent);
        engine.close();
        assert.deepStrictEqual(h.text().trim().split("\n"), [
            "reading the cluster (refresh) …",
            "✓ reading the cluster (refresh) (0s)",
            "rolling out Deployment pinned-app …",
            "warning: base image has no digest",
            "✗ rolling out Deployment pinned-app failed (0s)",
            "engine: 1 updated, 2 unchanged (7s)",
        ]);
    });
});
