import * as assert from "assert";
import { previewTag } from "../../pipeline/workflow/previewImage";

describe("the preview's image", () => {
    it("tags a preview image after the release, the branch convention, or the commit", () => {
        const source = { commit: "0123456789ab".padEnd(40, "0"), branch: "feature/login" };
        assert.strictEqual(previewTag(source, "2026-12-04-001", {}), "2026-12-04-001");
        assert.strictEqual(previewTag(source, undefined, {}), "feature-login");
        assert.strictEqual(previewTag({ ...source, branch: undefined }, undefined, { GITHUB_HEAD_REF: "feature/a/b" }), "feature-a-b");
        assert.strictEqual(previewTag({ ...source, branch: "main" }, undefined, {}), "preview-0123456789ab");
        assert.strictEqual(previewTag({ ...source, branch: undefined }, undefined, {}), "preview-0123456789ab");
    });
});
