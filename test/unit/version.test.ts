import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectEngineCommand } from "../../pipeline/engine/version";

describe("the project engine's version, asked once per binary", () => {
    let dir: string;
    let engine: string;
    const asked = () => fs.readFileSync(path.join(dir, "asked"), "utf8").length;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-engine-version-"));
        engine = path.join(dir, "bin", "pulumi");
        fs.mkdirSync(path.dirname(engine));
        // Counts each run: one character per `pulumi version`.
        fs.writeFileSync(engine, `#!/bin/sh\nprintf x >> '${dir}/asked'\necho v3.248.0\n`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs pulumi version the first time only, and gives the SDK a version it can compare", async () => {
        const first = await projectEngineCommand(engine, dir);
        const second = await projectEngineCommand(engine, dir);
        assert.strictEqual(asked(), 1);
        for (const command of [first, second]) {
            assert.strictEqual(command.command, engine);
            assert.strictEqual(String(command.version), "3.248.0");
            assert.strictEqual((command.version as unknown as { compare(v: string): number }).compare("3.95.0"), 1);
        }
    });

    it("asks again when the binary changed (rebuilt: another size or time)", async () => {
        await projectEngineCommand(engine, dir);
        fs.writeFileSync(engine, `#!/bin/sh\nprintf x >> '${dir}/asked'\necho v3.249.0\n`, { mode: 0o755 });
        const rebuilt = await projectEngineCommand(engine, dir);
        assert.strictEqual(asked(), 2);
        assert.strictEqual(String(rebuilt.version), "3.249.0");
    });

    it("still answers when the cache cannot be written", async () => {
        fs.writeFileSync(path.join(dir, "run"), "a file where the run directory would be");
        assert.strictEqual(String((await projectEngineCommand(engine, dir)).version), "3.248.0");
        assert.strictEqual(String((await projectEngineCommand(engine, dir)).version), "3.248.0");
        assert.strictEqual(asked(), 2);
    });
});
