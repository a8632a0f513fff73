import * as assert from "assert";
import { runCli as run } from "../support/runCli";

describe("pinned CLI", () => {
    it("usage errors exit 2", async () => {
        assert.strictEqual((await run([])).code, 2);
        assert.strictEqual((await run(["nonsense"])).code, 2);
        assert.strictEqual((await run(["lint"])).code, 2);
        assert.strictEqual((await run(["env", "sideways"])).code, 2);
        assert.strictEqual((await run(["up", "--bogus"])).code, 2);
        for (const argv of [
            ["preview", "--bogus"],
            ["rollback", "--to"],
            ["status", "x"],
            ["releases", "--yaml"],
        ]) {
            const r = await run(argv);
            assert.strictEqual(r.code, 2, argv.join(" "));
            assert.match(r.err, new RegExp(`^usage: pinned ${argv[0]}`), argv.join(" "));
        }
    });

    it("COMMAND --help prints that command's usage on stdout and exits 0", async () => {
        for (const command of ["env", "lint", "tag", "up", "preview", "rollback", "status", "releases"]) {
            const r = await run([command, "--help"]);
            assert.strictEqual(r.code, 0, command);
            assert.match(r.out, new RegExp(`^usage: pinned ${command}`), command);
            assert.strictEqual(r.err, "");
        }
    });
});
