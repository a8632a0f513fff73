import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubectl } from "../../release/cluster/kubectl";

describe("kubectl runner", () => {
    it("a kubectl that exits without reading its input is its exit status, not a crash (EPIPE)", async () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-kubectl-"));
        const pathBefore = process.env.PATH;
        fs.writeFileSync(path.join(bin, "kubectl"), "#!/bin/sh\necho read-nothing\nexit 0\n", { mode: 0o755 });
        process.env.PATH = `${bin}${path.delimiter}${pathBefore ?? ""}`;
        try {
            // Far more than a pipe buffer, so the write is still going when the child exits.
            for (let i = 0; i < 5; i++) {
                const r = await kubectl(undefined, ["get", "x"], "read x", "y".repeat(4 * 1024 * 1024));
                assert.deepStrictEqual([r.status, r.stdout.trim()], [0, "read-nothing"]);
            }
        } finally {
            process.env.PATH = pathBefore;
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });
});
