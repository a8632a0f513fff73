import * as assert from "assert";
import { parseUpArgs } from "../../cli/commands/up";

describe("pinned up's command line", () => {
    it("up takes --release R or --release=R and nothing else", () => {
        assert.deepStrictEqual(parseUpArgs([]), {});
        assert.deepStrictEqual(parseUpArgs(["--release", "2026-11-27-001"]), { release: "2026-11-27-001" });
        assert.deepStrictEqual(parseUpArgs(["--release=2026-11-27-001"]), { release: "2026-11-27-001" });
        assert.strictEqual(parseUpArgs(["--release"]), undefined);
        assert.strictEqual(parseUpArgs(["2026-11-27-001"]), undefined);
    });
});
