import * as assert from "assert";
import { PREVIEW_EXIT, PreviewPlan, previewOutcome } from "../../pipeline/workflow/preview";
import { finding, OLD, plan } from "../support/previewPlan";

describe("pinned preview: the outcome", () => {
    it("exit codes: 0 no change, 3 the image changes, 1 the release would fail", () => {
        assert.deepStrictEqual(PREVIEW_EXIT, { "no-change": 0, change: 3, error: 1 });
        assert.strictEqual(previewOutcome(plan()), "change");
        assert.strictEqual(previewOutcome(plan({ digest: OLD })), "no-change");
        assert.strictEqual(previewOutcome(plan({ recorded: true, digest: OLD })), "no-change");
        assert.strictEqual(
            previewOutcome(
                plan({ findings: [finding("error")], digest: undefined, unknownBecause: "the recipe breaks the pinning policy" }),
            ),
            "error",
        );
        assert.strictEqual(
            previewOutcome(
                plan({ digest: undefined, buildFailed: true, unknownBecause: "the build failed: docker build failed (exit 1)" }),
            ),
            "error",
        );
        // A digest not known yet is a change, never "no change".
        assert.strictEqual(previewOutcome(plan({ digest: undefined, unknownBecause: "no registry is configured" })), "change");
        assert.strictEqual(previewOutcome(plan({ findings: [finding("warning")] })), "change");
        assert.strictEqual(previewOutcome(plan({ before: { source: "none", note: "no Deployment yet" } })), "change");
    });

    it("with an engine preview: its changes decide the outcome, and an engine error is a failing release", () => {
        const change = {
            op: "update" as const,
            urn: "urn:pulumi:R::pinned::kubernetes:apps/v1:Deployment::release-app-deployment",
            kind: "Deployment",
            name: "default/pinned-app",
            properties: [],
        };
        const withEngine = (engine: Partial<NonNullable<PreviewPlan["engine"]>>) => ({
            ...plan({ digest: OLD }),
            engine: { changes: [], errors: [], warnings: [], basis: "b", ...engine },
        });
        assert.strictEqual(previewOutcome(withEngine({})), "no-change");
        // Same image, other changes (replicas, a probe): still a change.
        assert.strictEqual(previewOutcome(withEngine({ changes: [change] })), "change");
        assert.strictEqual(previewOutcome(withEngine({ errors: ["boom"] })), "error");
    });
});
