import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Context } from "../../pipeline/context";
import { declaredDeployment, declaredDeploymentIn } from "../../pipeline/workflow/declaredState";
import { testContext } from "../support/context";

/**
 * A release's declared Deployment from a backend that is not a file (the
 * shared store): read with `pulumi stack export` through the engine
 * runner, here a stand-in pulumi at $PINNED_CACHE/bin/pulumi of the
 * context's environment.
 */
describe("declared state through the engine", () => {
    let dir: string;
    /** A project of its own, and an environment naming the cache, the shared store and two secrets. */
    let ctx: Context;
    const STATE = {
        deployment: {
            resources: [
                { type: "pulumi:pulumi:Stack", custom: false },
                { type: "kubernetes:apps/v1:Deployment", custom: true, inputs: { metadata: { name: "pinned-app" } } },
            ],
        },
    };
    const standIn = (script: string) =>
        fs.writeFileSync(
            path.join(dir, "cache", "bin", "pulumi"),
            `#!/bin/sh\necho "$@" > ${dir}/args\n/usr/bin/env > ${dir}/env\n${script}\n`,
            {
                mode: 0o755,
            },
        );

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-declared-"));
        fs.mkdirSync(path.join(dir, "cache", "bin"), { recursive: true });
        fs.mkdirSync(path.join(dir, "project"));
        fs.writeFileSync(path.join(dir, "project", "Pulumi.yaml"), "name: pinned\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(STATE));
        ctx = testContext(
            {
                ...process.env,
                PINNED_CACHE: path.join(dir, "cache"),
                PULUMI_BACKEND_URL: "s3://team-states",
                PULUMI_CONFIG_PASSPHRASE: "passphrase-5b7e",
                COSIGN_PASSWORD: "cosign-secret-0f3a",
            },
            path.join(dir, "project"),
        );
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("exports the stack's state with the engine's environment, and no secret the engine does not read", async () => {
        standIn(`/bin/cat ${dir}/state.json`);
        const declared = await declaredDeployment(ctx, "r1");
        assert.deepStrictEqual(declared, { metadata: { name: "pinned-app" } });
        assert.strictEqual(fs.readFileSync(path.join(dir, "args"), "utf8").trim(), "stack export --stack r1 --non-interactive");
        const env = fs.readFileSync(path.join(dir, "env"), "utf8");
        assert.match(env, /^PULUMI_BACKEND_URL=s3:\/\/team-states$/m);
        assert.doesNotMatch(env, /cosign-secret-0f3a/);
    });

    it("an engine that fails is one line saying the state could not be read", async () => {
        standIn("echo 'error: no stack named r1' >&2\nexit 255");
        assert.strictEqual(await declaredDeployment(ctx, "r1"), "the state of stack r1 could not be read");
    });
});

describe("declared state read from a stack's state", () => {
    /** A Deployment as one release stack declared it (its recorded inputs), taken from a real update against the embedded cluster. */
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "deploymentDrift.json"), "utf8")) as {
        declared: Record<string, unknown>;
    };

    it("the declared Deployment is read from a checkpoint and from pulumi stack export alike", () => {
        const resources = [
            { type: "pulumi:pulumi:Stack", custom: false },
            { type: "kubernetes:apps/v1:Deployment", custom: true, inputs: fixture.declared },
        ];
        assert.deepStrictEqual(declaredDeploymentIn(JSON.stringify({ checkpoint: { latest: { resources } } })), fixture.declared);
        assert.deepStrictEqual(declaredDeploymentIn(JSON.stringify({ version: 3, deployment: { resources } })), fixture.declared);
        assert.strictEqual(declaredDeploymentIn(JSON.stringify({ deployment: { resources: [] } })), "its state holds no Deployment");
    });
});
