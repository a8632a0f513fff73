import * as assert from "assert";
import { ESLint } from "eslint";
import * as path from "path";

/**
 * The layer rules in eslint.config.mjs, applied to one import each: the rule
 * must refuse an import against the grain and let the allowed direction pass,
 * so a typo in a pattern cannot switch a layer's check off unnoticed.
 */
describe("layer rules (eslint no-restricted-imports)", function () {
    this.timeout(60_000);
    const root = path.join(__dirname, "..", "..");
    const eslint = new ESLint({ cwd: root });

    const refusals = async (file: string, code: string): Promise<string[]> => {
        const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
        return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
    };

    const refused: Array<[string, string]> = [
        ["core/x.ts", 'import * as pulumi from "@pulumi/pulumi";'],
        ["core/x.ts", 'import { deployRelease } from "../release/workflow/deploy";'],
        ["core/git/x.ts", 'import { main } from "../../cli/main";'],
        ["core/x.ts", 'import { Release } from "../components/release";'],
        ["components/x.ts", 'import { deployRelease } from "../release/workflow/deploy";'],
        ["program/x.ts", 'import { main } from "../cli/main";'],
        ["program/x.ts", 'import { projectWorkspace } from "../release/engine/workspace";'],
        ["release/x.ts", 'import { main } from "../cli/main";'],
        // From the workflow's folders, one and two levels below release/.
        ["release/engine/x.ts", 'import { main } from "../../cli/main";'],
        ["release/engine/x.ts", 'import * as cli from "../../cli";'],
        ["release/workflow/x.ts", 'import { previewCommand } from "../../cli/commands/preview";'],
        ["release/a/b/x.ts", 'import { main } from "../../../cli/main";'],
        ["release/a/b/x.ts", 'import * as cli from "../../../cli";'],
        ["core/git/x.ts", 'import { projectWorkspace } from "../../release/engine/workspace";'],
    ];
    for (const [file, code] of refused) {
        it(`refuses in ${file}: ${code}`, async () => {
            const messages = await refusals(file, `${code}\n`);
            assert.strictEqual(messages.length, 1, `expected one refusal, got: ${JSON.stringify(messages)}`);
        });
    }

    const allowed: Array<[string, string]> = [
        ["release/x.ts", 'import { PinnedError } from "../core/errors";'],
        ["components/x.ts", 'import * as pulumi from "@pulumi/pulumi";'],
        ["program/x.ts", 'import { Release } from "../components/release";'],
        ["cli/x.ts", 'import { deployRelease } from "../release/workflow/deploy";'],
        ["cli/commands/x.ts", 'import { deployRelease } from "../../release/workflow/deploy";'],
        ["release/engine/x.ts", 'import { PinnedError } from "../../core/errors";'],
        ["release/engine/x.ts", 'import { kubectl } from "../cluster/kubectl";'],
        ["release/workflow/x.ts", 'import { imageProgram } from "../../program/imageProgram";'],
        ["core/git/x.ts", 'import { PinnedError } from "../errors";'],
    ];
    for (const [file, code] of allowed) {
        it(`allows in ${file}: ${code}`, async () => {
            assert.deepStrictEqual(await refusals(file, `${code}\n`), []);
        });
    }
});
