import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/**
 * Runs `code` in a fresh Node through bin/register.js, as bin/pinned
 * does, and returns which packages under node_modules/@pulumi/ it loaded.
 */
function pulumiPackagesLoadedBy(code: string): string[] {
    const script = `
        require(${JSON.stringify(path.join(PROJECT_DIR, "bin", "register.js"))});
        const { main } = require(${JSON.stringify(path.join(PROJECT_DIR, "cli", "main"))});
        Promise.resolve((async () => { ${code} })()).then(() => {
            const loaded = Object.keys(require.cache).map((f) => /node_modules\\/(@pulumi\\/[^/]+)\\//.exec(f)?.[1]).filter(Boolean);
            process.stderr.write("\\nloaded: " + JSON.stringify([...new Set(loaded)].sort()) + "\\n");
        });`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: PROJECT_DIR });
    const line = /\nloaded: (.*)\n$/.exec(r.stderr);
    assert.ok(line, `no list of loaded modules; exit ${r.status}: ${r.stderr}`);
    return JSON.parse(line[1]);
}

describe("pinned loads the Pulumi SDK only for a command that runs a workflow", () => {
    it("the check sees the SDK when a workflow module is loaded", () => {
        assert.ok(pulumiPackagesLoadedBy('require("./pipeline/workflow/up");').includes("@pulumi/pulumi"));
    });

    for (const argv of [["--help"], ["lint", "app/Dockerfile"], ["tag", "develop"], ["up", "--help"], ["rollback", "--help"]]) {
        it(`pinned ${argv.join(" ")} does not load it`, () => {
            assert.deepStrictEqual(pulumiPackagesLoadedBy(`await main(${JSON.stringify(argv)});`), []);
        });
    }
});
