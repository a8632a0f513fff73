import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { engineCommand } from "../../pipeline/engine/workspace";
import { engineEnv } from "../../pipeline/engine/environment";
import { UpdateFailedError } from "../../pipeline/engine/update";
import { dropNewEmptyStack } from "../../pipeline/workflow/putBackPrevious";
import { requireLocalEnv } from "./support/localEnv";
import { testContext } from "../support/context";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/**
 * A first update that fails after the engine registered only its own
 * resources (the stack, components, providers) leaves nothing a retry
 * needs: the new stack is removed. One that made a real resource is kept.
 * Real engine, file backend, the embedded docker plugin.
 */
describe("a failed first update's new stack (real engine)", function () {
    this.timeout(10 * 60 * 1000);
    let dir: string;

    before(() => {
        requireLocalEnv();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-empty-stack-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function failedFirstUpdate(name: string, makeNetwork: boolean): Promise<Stack> {
        const program = async () => {
            const component = new pulumi.ComponentResource("pinned:test:Empty", "component");
            const provider = new docker.Provider("docker", {}, { parent: component });
            if (makeNetwork) {
                await new Promise<void>((resolve) => {
                    new docker.Network("net", {}, { provider, parent: component }).id.apply(() => resolve());
                });
            }
            throw new Error("the program fails after registering what it registered");
        };
        const stack = await LocalWorkspace.createStack(
            { stackName: name, projectName: "pinned-empty", program },
            {
                workDir: dir,
                projectSettings: { name: "pinned-empty", runtime: "nodejs", backend: { url: `file://${dir}` } },
                envVars: { ...engineEnv(testContext()), PULUMI_BACKEND_URL: `file://${dir}` },
                pulumiCommand: await engineCommand(testContext()),
            },
        );
        await assert.rejects(stack.up());
        return stack;
    }

    const stacks = async (stack: Stack) => (await stack.workspace.listStacks()).map((s) => s.name);

    it("holding only the stack, a component and a provider: removed, and said so", async () => {
        const name = `empty-${crypto.randomBytes(3).toString("hex")}`;
        const stack = await failedFirstUpdate(name, false);
        const said = await dropNewEmptyStack(new UpdateFailedError("failed", "fix", stack, { fileBefore: undefined }), PROJECT_DIR);
        assert.match(said ?? "", new RegExp(`Its new stack ${name} held only Pulumi's own resources and was removed`));
        assert.ok(!(await stacks(stack)).includes(name));
    });

    it("holding a real resource: kept (it manages something)", async () => {
        const name = `real-${crypto.randomBytes(3).toString("hex")}`;
        const stack = await failedFirstUpdate(name, true);
        const said = await dropNewEmptyStack(new UpdateFailedError("failed", "fix", stack, { fileBefore: undefined }), PROJECT_DIR);
        assert.strictEqual(said, undefined);
        assert.ok((await stacks(stack)).includes(name));
        await stack.destroy();
        await stack.workspace.removeStack(name);
    });

    it("a stack that existed before the update is never removed", async () => {
        const name = `existing-${crypto.randomBytes(3).toString("hex")}`;
        const stack = await failedFirstUpdate(name, false);
        assert.strictEqual(await dropNewEmptyStack(new UpdateFailedError("failed", "fix", stack, undefined), PROJECT_DIR), undefined);
        assert.ok((await stacks(stack)).includes(name));
        await stack.workspace.removeStack(name, { force: true });
    });
});
