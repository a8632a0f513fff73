import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DeployTarget } from "../../pipeline/cluster/target";
import { inputsFingerprint, recordUpdate, unchangedSinceLastUpdate } from "../../pipeline/workflow/noopProof";
import { testContext } from "./context";
import { useTempCache } from "./tempCache";

const R = "2026-11-27-001";
const DIGEST = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;

/**
 * Registers hooks that give each test a project whose last update of
 * release R was recorded for the no-op proof: a temporary project (with
 * installed packages, one of them dev-only), plugin cache (one kubernetes
 * plugin binary) and pinned cache; a stand-in kubectl answers with the
 * recorded objects. Call inside `describe`.
 */
export function useNoopProject() {
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
    return { cache, dir: () => dir, inputs, proof, recordFile, pluginBinary, write };
}
