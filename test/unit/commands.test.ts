import * as assert from "assert";
import { COMMANDS } from "../../cli/commands";

describe("the command list (cli/commands/index.ts)", () => {
    it("each entry of the command list names the command its module declares, once", async () => {
        for (const entry of COMMANDS) {
            assert.strictEqual((await entry.load()).command.spec.name, entry.name);
        }
        assert.strictEqual(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
    });
});
