import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli as run } from "../support/runCli";

describe("pinned lint", () => {
    /** A Dockerfile in a directory of its own, removed after the test. */
    const dirs: string[] = [];
    afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
    const dockerfile = (): string => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cli-"));
        dirs.push(dir);
        return path.join(dir, "Dockerfile");
    };

    it("lint exits 1 on errors and names file and line", async () => {
        const file = dockerfile();
        fs.writeFileSync(file, "FROM python\nRUN pip install numpy\n");
        const r = await run(["lint", file]);
        assert.strictEqual(r.code, 1);
        assert.match(r.out, new RegExp(`${file}:1: base-unversioned: \\[error\\]`));
        assert.match(r.out, new RegExp(`${file}:2: pip-unpinned: \\[error\\]`));
    });

    it("lint --strict passes the example app", async () => {
        const r = await run(["lint", "--strict", path.join(__dirname, "..", "..", "app", "Dockerfile")]);
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /0 errors, 0 warnings/);
    });

    it("lint turns a warning into an error only with --strict", async () => {
        const file = dockerfile();
        fs.writeFileSync(file, "FROM python:3.11.7-bookworm\nARG git_hash\nLABEL git_hash=$git_hash\nUSER 65534\n");
        assert.strictEqual((await run(["lint", file])).code, 0);
        assert.strictEqual((await run(["lint", "--strict", file])).code, 1);
    });
});
