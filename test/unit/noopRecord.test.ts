import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inputsFingerprint, recordUpdate, unchangedSinceLastUpdate } from "../../pipeline/workflow/noopProof";
import { DeployTarget } from "../../pipeline/cluster/target";
import { useTempCache } from "../support/tempCache";
import { testContext } from "../support/context";

const R = "2026-11-27-001";
const DIGEST = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;

/**
 * The no-op proof's record cannot be forged by editing it, and its inputs
 * cover what the engine loads besides the program: the plugin binaries and
 * the installed packages. Files in a temporary project, plugin cache and
 * pinned cache; a stand-in kubectl answers with the recorded objects.
 */
describe("the no-op record: sealed, and covering plugins and dependencies (noopRecord, engineInputs)", () => {
    const cache = useTempCache("pinned-noop-record-");
    let dir: string;
    /** The test's context on the project `dir`, the stand-in kubectl first on its PATH; made when called, so the temporary cache is seen. */
    const ctx = () => testContext({ ...process.env, PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH ?? ""}` }, dir);
    const target: DeployTarget = { kind: "cluster", source: "test" };
    const backendUrl = () => `file://${path.join(dir, "backend")}`;
    const recordFile = () => path.join(dir, ".pinned", "updates", `${R}.json`);
    const pluginBinary = () => path.join(dir, "pulumi-home", "plugins", "resource-kubernetes-v4.25.0", "pulumi-resource-kubernetes");
    const engineEnv = () => ({ PATH: path.join(dir, "bin"), PULUMI_BACKEND_URL: backendUrl(), PULUMI_HOME: path.join(dir, "pulumi-home") });
    const inputs = () => inputsFingerprint(ctx(), R, target, engineEnv());
    const proof = () =>
        unchangedSinceLastUpdate(ctx(), {
            release: R,
            digest: DIGEST,
            inputs: inputs(),
            backendUrl: backendUrl(),
            kubeconfig: undefined,
        });
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-noop-record-"));
        write("Pulumi.yaml", "name: pinned\nruntime: nodejs\n");
        write("components/release.ts", "export const x = 1;\n");
        write(`stacks/Pulumi.${R}.yaml`, `config:\n  pinned:commit: abc\n  pinned:imageDigest: ${DIGEST}\n`);
        write("backend/.pulumi/meta.yaml", "version: 1\n");
        const deployment = {
            type: "kubernetes:apps/v1:Deployment",
            custom: true,
            outputs: {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "app", namespace: "default", uid: "uid-d", resourceVersion: "41" },
            },
        };
        const resources = [{ type: "pulumi:pulumi:Stack", outputs: { imageDigest: DIGEST } }, deployment];
        write(`backend/.pulumi/stacks/pinned/${R}.json`, JSON.stringify({ version: 3, checkpoint: { latest: { resources } } }));
        write("bin/kubectl", "#!/bin/sh\necho 'uid-d   41'\n");
        fs.chmodSync(path.join(dir, "bin", "kubectl"), 0o755);
        write(path.relative(dir, pluginBinary()), "provider v1\n");
        write(
            "node_modules/.package-lock.json",
            JSON.stringify({
                packages: { "node_modules/dep": { version: "1.0.0" }, "node_modules/linter": { version: "1.0.0", dev: true } },
            }),
        );
        write("node_modules/dep/package.json", '{"name":"dep","version":"1.0.0"}\n');
        write("node_modules/dep/index.js", "module.exports = 1;\n");
        write("node_modules/linter/index.js", "module.exports = 1;\n");
        recordUpdate(ctx(), R, inputs(), backendUrl());
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a record edited by hand to name the changed inputs is not trusted", async () => {
        assert.deepStrictEqual(await proof(), { unchanged: true });
        write("components/release.ts", "export const x = 2;\n");
        // What a forger does: record the present inputs as if an update had run with them.
        const record = JSON.parse(fs.readFileSync(recordFile(), "utf8")) as { inputs: string };
        fs.writeFileSync(recordFile(), JSON.stringify({ ...record, inputs: inputs() }));
        const result = await proof();
        assert.strictEqual(result.unchanged, false, "a forged record proved a no-op");
        assert.match((result as { why: string }).why, /does not verify under this machine's key/);
    });

    it("a record sealed under another key, or with no seal, is not trusted; the key file is 0600", async () => {
        assert.strictEqual(fs.statSync(path.join(cache(), "noop-record.key")).mode & 0o777, 0o600);
        fs.writeFileSync(path.join(cache(), "noop-record.key"), Buffer.alloc(32, 7), { mode: 0o600 });
        assert.deepStrictEqual(await proof(), {
            unchanged: false,
            why: "the record of the last update does not verify under this machine's key (edited, or written elsewhere)",
        });
        const { inputs: recorded, checkpoint } = JSON.parse(fs.readFileSync(recordFile(), "utf8")) as {
            inputs: string;
            checkpoint: string;
        };
        fs.writeFileSync(recordFile(), JSON.stringify({ inputs: recorded, checkpoint }));
        assert.match(((await proof()) as { why: string }).why, /carries no seal/);
    });

    it("a plugin binary changed (same size) makes the engine run", async () => {
        assert.deepStrictEqual(await proof(), { unchanged: true });
        fs.writeFileSync(pluginBinary(), "provider v2\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
    });

    it("a file of an installed package changed (same size) makes the engine run; a dev-only package does not", async () => {
        fs.writeFileSync(path.join(dir, "node_modules", "linter", "index.js"), "module.exports = 2;\n");
        assert.deepStrictEqual(await proof(), { unchanged: true });
        fs.writeFileSync(path.join(dir, "node_modules", "dep", "index.js"), "module.exports = 2;\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
    });
});
