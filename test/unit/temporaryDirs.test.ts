import * as assert from "assert";
import * as fs from "fs";
import { makeTemporaryDir, removeTemporaryDir, removeTemporaryDirs } from "../../pipeline/project/temporaryDirs";

describe("temporary directories that may hold secrets", () => {
    it("are removed when their user is done, and all at once on an interrupt", () => {
        removeTemporaryDirs(); // what earlier tests in this process still hold
        const a = makeTemporaryDir("pinned-test-");
        const b = makeTemporaryDir("pinned-test-");
        fs.writeFileSync(`${a}/seed.json`, "{}");
        removeTemporaryDir(a);
        assert.ok(!fs.existsSync(a));
        assert.strictEqual(removeTemporaryDirs(), 1, "only b was still held");
        assert.ok(!fs.existsSync(b));
        assert.strictEqual(removeTemporaryDirs(), 0);
    });
});
