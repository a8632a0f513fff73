import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { useNoopProject } from "../support/noopProject";

/**
 * The engine's inputs cover what it loads besides the program: the plugin
 * binaries and the installed packages. Checked through the no-op proof on
 * files in a temporary project, plugin cache and pinned cache.
 */
describe("the engine's inputs: plugins and installed packages (inputs)", () => {
    const { dir, pluginBinary, proof } = useNoopProject();

    it("a plugin binary changed (same size) makes the engine run", async () => {
        assert.deepStrictEqual(await proof(), { unchanged: true });
        fs.writeFileSync(pluginBinary(), "provider v2\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
    });

    it("a file of an installed package changed (same size) makes the engine run; a dev-only package does not", async () => {
        fs.writeFileSync(path.join(dir(), "node_modules", "linter", "index.js"), "module.exports = 2;\n");
        assert.deepStrictEqual(await proof(), { unchanged: true });
        fs.writeFileSync(path.join(dir(), "node_modules", "dep", "index.js"), "module.exports = 2;\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
    });
});
