import * as assert from "assert";
import { parsePreviewArgs } from "../../cli/commands/preview";

describe("pinned preview's command line", () => {
    it("parses --release R, --release=R and --markdown in any order; refuses the rest", () => {
        assert.deepStrictEqual(parsePreviewArgs([]), { markdown: false });
        assert.deepStrictEqual(parsePreviewArgs(["--markdown", "--release", "2026-12-04-001"]), {
            markdown: true,
            release: "2026-12-04-001",
        });
        assert.deepStrictEqual(parsePreviewArgs(["--release=2026-12-04-001", "--markdown"]), { markdown: true, release: "2026-12-04-001" });
        for (const bad of [
            ["--release"],
            ["--markdown", "--markdown"],
            ["--json"],
            ["--release", "a", "--release", "b"],
            ["--release="],
            ["x"],
        ]) {
            assert.strictEqual(parsePreviewArgs(bad), undefined, bad.join(" "));
        }
    });
});
