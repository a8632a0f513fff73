import * as assert from "assert";
import { runCli as run } from "../support/runCli";

describe("pinned tag", () => {
    it("tag prints the container tag", async () => {
        assert.deepStrictEqual(await run(["tag", "release/2026-11-27-001"]), { code: 0, out: "2026-11-27-001-rc\n", err: "" });
    });

    it("tag refuses other refs with exit 2 and the accepted forms", async () => {
        const r = await run(["tag", "main"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.err, /follows none of the release conventions/);
        assert.match(r.err, /release\/yyyy-mm-dd-NNN\s+-> yyyy-mm-dd-NNN-rc/);
    });
});
