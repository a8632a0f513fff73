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
        ["core/x.ts", 'import { deployRelease } from "../pipeline/workflow/deploy";'],
        ["core/git/x.ts", 'import { main } from "../../cli/main";'],
        ["core/x.ts", 'import { Release } from "../components/release";'],
        ["components/x.ts", 'import { deployRelease } from "../pipeline/workflow/deploy";'],
        ["program/x.ts", 'import { main } from "../cli/main";'],
        ["program/x.ts", 'import { projectWorkspace } from "../pipeline/engine/workspace";'],
        ["pipeline/x.ts", 'import { main } from "../cli/main";'],
        // From the workflow's folders, one and two levels below pipeline/.
        ["pipeline/engine/x.ts", 'import { main } from "../../cli/main";'],
        ["pipeline/engine/x.ts", 'import * as cli from "../../cli";'],
        ["pipeline/workflow/x.ts", 'import { previewCommand } from "../../cli/commands/preview";'],
        ["pipeline/a/b/x.ts", 'import { main } from "../../../cli/main";'],
        ["pipeline/a/b/x.ts", 'import * as cli from "../../../cli";'],
        ["core/git/x.ts", 'import { projectWorkspace } from "../../pipeline/engine/workspace";'],
    ];
    for (const [file, code] of refused) {
        it(`refuses in ${file}: ${code}`, async () => {
            const messages = await refusals(file, `${code}\n`);
            assert.strictEqual(messages.length, 1, `expected one refusal, got: ${JSON.stringify(messages)}`);
        });
    }

    const allowed: Array<[string, string]> = [
        ["pipeline/x.ts", 'import { PinnedError } from "../core/errors";'],
        ["components/x.ts", 'import * as pulumi from "@pulumi/pulumi";'],
        ["program/x.ts", 'import { Release } from "../components/release";'],
        ["cli/x.ts", 'import { deployRelease } from "../pipeline/workflow/deploy";'],
        ["cli/commands/x.ts", 'import { deployRelease } from "../../pipeline/workflow/deploy";'],
        ["pipeline/engine/x.ts", 'import { PinnedError } from "../../core/errors";'],
        ["pipeline/engine/x.ts", 'import { kubectl } from "../cluster/kubectl";'],
        ["pipeline/workflow/x.ts", 'import { imageProgram } from "../../program/imageProgram";'],
        ["core/git/x.ts", 'import { PinnedError } from "../errors";'],
    ];
    for (const [file, code] of allowed) {
        it(`allows in ${file}: ${code}`, async () => {
            assert.deepStrictEqual(await refusals(file, `${code}\n`), []);
        });
    }
});

/**
 * The context rules in eslint.config.mjs: below the command line nothing
 * reads process.env or imports the tool's own folder (PROJECT_DIR); both
 * come from the caller. Each rule is shown refusing and allowing, so a
 * wrong selector or file glob cannot switch it off unnoticed.
 */
describe("context rules (eslint no-restricted-properties, no-restricted-syntax)", function () {
    this.timeout(60_000);
    const root = path.join(__dirname, "..", "..");
    const eslint = new ESLint({ cwd: root });
    const RULES = ["no-restricted-properties", "no-restricted-syntax"];

    const refusals = async (file: string, code: string): Promise<string[]> => {
        const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
        return result.messages.filter((m) => m.ruleId !== null && RULES.includes(m.ruleId)).map((m) => m.message);
    };

    const readsEnv = "export const home = process.env.HOME;";
    const importsProjectDir = (from: string) => `import { PROJECT_DIR } from "${from}";\nexport const dir = PROJECT_DIR;`;

    const refused: Array<[string, string]> = [
        ["pipeline/workflow/x.ts", readsEnv],
        ["pipeline/x.ts", "export const env = process.env;"],
        ["pipeline/engine/x.ts", 'export const path = process.env["PATH"];'],
        ["core/x.ts", readsEnv],
        ["core/git/x.ts", "export function f(env = process.env) { return env; }"],
        ["pipeline/workflow/x.ts", importsProjectDir("../project/projectDir")],
        ["pipeline/project/x.ts", importsProjectDir("./projectDir")],
        ["pipeline/x.ts", importsProjectDir("./project/projectDir")],
        // holding.ts may write its token into the environment; it may not import the project folder.
        ["pipeline/locks/holding.ts", importsProjectDir("../project/projectDir")],
        // The runners are given the context like the rest of the workflow: no file is excepted.
        ["pipeline/cluster/kubectl.ts", readsEnv],
        ["pipeline/engine/pulumiCli.ts", readsEnv],
        ["pipeline/engine/workspace.ts", importsProjectDir("../project/projectDir")],
    ];
    for (const [file, code] of refused) {
        it(`refuses in ${file}: ${code.split("\n")[0]}`, async () => {
            const messages = await refusals(file, `${code}\n`);
            assert.strictEqual(messages.length, 1, `expected one refusal, got: ${JSON.stringify(messages)}`);
        });
    }

    const allowed: Array<[string, string]> = [
        ["cli/main.ts", readsEnv],
        ["cli/commands/x.ts", importsProjectDir("../../pipeline/project/projectDir")],
        ["program/x.ts", readsEnv],
        ["test/unit/x.test.ts", readsEnv],
        ["pipeline/locks/holding.ts", 'process.env["PINNED_HOLDER"] = "token";'],
        ["pipeline/workflow/x.ts", "export function f(ctx: { env: Record<string, string | undefined> }) { return ctx.env.HOME; }"],
        ["pipeline/workflow/x.ts", 'import { Context } from "../context";\nexport type C = Context;'],
    ];
    for (const [file, code] of allowed) {
        it(`allows in ${file}: ${code.split("\n")[0]}`, async () => {
            assert.deepStrictEqual(await refusals(file, `${code}\n`), []);
        });
    }
});
