import * as assert from "assert";
import { parseRollbackArgs } from "../../cli/commands/rollback";

describe("pinned rollback's command line", () => {
    it("rollback takes --to R or --to=R and nothing else", () => {
        assert.deepStrictEqual(parseRollbackArgs([]), {});
        assert.deepStrictEqual(parseRollbackArgs(["--to", "2026-11-01-001"]), { to: "2026-11-01-001" });
        assert.deepStrictEqual(parseRollbackArgs(["--to=2026-11-01-001"]), { to: "2026-11-01-001" });
        for (const bad of [["--to"], ["2026-11-01-001"], ["--to", "a", "b"], ["--release", "x"], ["--to="]]) {
            assert.strictEqual(parseRollbackArgs(bad), undefined, bad.join(" "));
        }
    });
});
