import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";
import {
    compareSchemas,
    pluginBinarySchema,
    pluginSchemaShape,
    sdkDeclaredSchema,
} from "../../scripts/env/provider-docker/schemaConformance";

/**
 * The docker plugin the local environment built (scripts/env/provider-docker.sh)
 * is stamped 4.6.2, so the engine gives it every @pulumi/docker 4.6.2
 * program: the schema it serves, asked the way the engine asks it, must have
 * everything that SDK declares (the rules: schemaConformance.ts).
 */
describe("the local docker plugin's schema against @pulumi/docker", function () {
    this.timeout(5 * 60 * 1000);

    it("has every resource, function, input and output of @pulumi/docker 4.6.2, with the same type and required-ness", () => {
        const plugin = path.join(cacheDir(process.env), "providers", "pulumi-resource-docker");
        const pulumi = path.join(cacheDir(process.env), "bin", "pulumi");
        // Fails, never skips: the claim needs the real plugin.
        for (const [what, file] of [
            ["the docker plugin", plugin],
            ["the pulumi CLI", pulumi],
        ]) {
            if (!fs.existsSync(file)) {
                throw new Error(`${what} is not built (no ${file}); run: npx pinned env up`);
            }
        }
        const declared = sdkDeclaredSchema(path.join(PROJECT_DIR, "node_modules", "@pulumi", "docker"));
        assert.strictEqual(declared.source, "@pulumi/docker 4.6.2");
        const differences = compareSchemas(declared, pluginSchemaShape(pluginBinarySchema(plugin, pulumi), plugin));
        if (differences.length > 0) {
            assert.fail(
                `${differences.length} differences between ${plugin} and ${declared.source}:\n  ${differences.join("\n  ")}\n` +
                    "fix: make scripts/env/provider-docker/ serve them, then run: npx pinned env up",
            );
        }
    });
});
