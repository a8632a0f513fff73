import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const DIR = path.join(__dirname, "..", "compile-fail");
const FILE = path.join(DIR, "tagToDeployment.ts");

describe("ImageDigest at compile time", function () {
    this.timeout(120_000);

    it("tsc refuses a tag (or any plain string) for the deployment image, and nothing else", () => {
        const tsc = require.resolve("typescript/bin/tsc");
        const result = spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", DIR], { encoding: "utf8" });
        assert.notStrictEqual(result.status, 0, "the file must not compile");
        const errorLines = new Set(
            [...result.stdout.matchAll(/tagToDeployment\.ts\((\d+),\d+\): error TS\d+: (.*)/g)].map((m) => Number(m[1])),
        );
        const expected = new Set(
            fs
                .readFileSync(FILE, "utf8")
                .split("\n")
                .flatMap((line, i) => (line.endsWith("// expect-error") ? [i + 1] : [])),
        );
        assert.strictEqual(expected.size, 3);
        assert.deepStrictEqual([...errorLines].sort(), [...expected].sort(), result.stdout);
        assert.match(result.stdout, /ImageDigest/);
    });
});
