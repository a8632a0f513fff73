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
 * The environment the fingerprint reads besides the engine's, fixed here:
 * the shell's own (a KUBECONFIG naming the shared cluster's file, which a
 * re-created cluster rewrites) made the proof differ between the record
 * and the check, and tests fail that the code under test did not break.
 */
const AMBIENT: NodeJS.ProcessEnv = { HOME: "/home/test" };

/**
 * The no-op proof on files and a stand-in kubectl: every input it covers,
 * changed alone, makes it leave the update to the engine.
 */
describe("a no-op up proven without the engine (noopProof)", () => {
    // The record's key is made in the cache: a temporary one per test.
    useTempCache("pinned-last-update-cache-");
    let dir: string;
    let bin: string;
    /** The test's context on the project `dir`, the stand-in kubectl first on its PATH; made when called, so the temporary cache is seen. */
    const ctx = () => testContext({ ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` }, dir);
    const target: DeployTarget = { kind: "cluster", source: "test" };
    const backendUrl = () => `file://${path.join(dir, "backend")}`;
    const checkpointFile = () => path.join(dir, "backend", ".pulumi", "stacks", "pinned", `${R}.json`);
    const engineEnv = (extra: Record<string, string> = {}) => ({ PATH: bin, PULUMI_BACKEND_URL: backendUrl(), ...extra });
    const object = (apiVersion: string, kind: string, name: string, uid: string, rv: string) => ({
        type: `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`,
        custom: true,
        outputs: { apiVersion, kind, metadata: { name, namespace: "default", uid, resourceVersion: rv } },
    });
    const checkpoint = (opts: { digest?: string; pending?: unknown[] } = {}) =>
        JSON.stringify({
            version: 3,
            checkpoint: {
                latest: {
                    resources: [
                        { type: "pulumi:pulumi:Stack", outputs: { imageDigest: opts.digest ?? DIGEST } },
                        { type: "pulumi:providers:kubernetes", custom: true, outputs: {} },
                        object("apps/v1", "Deployment", "app", "uid-d", "41"),
                        object("v1", "Secret", "app-registry", "uid-s", "7"),
                    ],
                    pending_operations: opts.pending,
                },
            },
        });
    /** What the stand-in kubectl prints, and its exit status. */
    const liveObjects = (text: string, status = 0) => {
        fs.writeFileSync(path.join(dir, "kubectl-out"), text);
        fs.writeFileSync(path.join(dir, "kubectl-status"), String(status));
    };
    const proof = (extraEnv: Record<string, string> = {}, digest = DIGEST) =>
        unchangedSinceLastUpdate(ctx(), {
            release: R,
            digest,
            inputs: inputsFingerprint({ projectDir: dir, env: AMBIENT }, R, target, engineEnv(extraEnv)),
            backendUrl: backendUrl(),
            kubeconfig: undefined,
        });
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-last-update-"));
        bin = path.join(dir, "bin");
        write("Pulumi.yaml", "name: pinned\nruntime: nodejs\n");
        write("index.ts", "export = 1;\n");
        write("components/release.ts", "export const x = 1;\n");
        write(`stacks/Pulumi.${R}.yaml`, `config:\n  pinned:commit: abc\n  pinned:imageDigest: ${DIGEST}\n`);
        write("backend/.pulumi/meta.yaml", "version: 1\n");
        write(path.relative(dir, checkpointFile()), checkpoint());
        write("bin/kubectl", `#!/bin/sh\necho "$@" >> ${dir}/kubectl-args\ncat ${dir}/kubectl-out\nexit $(cat ${dir}/kubectl-status)\n`);
        fs.chmodSync(path.join(bin, "kubectl"), 0o755);
        liveObjects("uid-d   41\nuid-s   7\n");
        recordUpdate(ctx(), R, inputsFingerprint({ projectDir: dir, env: AMBIENT }, R, target, engineEnv()), backendUrl());
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("holds when the inputs, the checkpoint and every object's uid and resourceVersion are as the update left them", async () => {
        assert.deepStrictEqual(await proof(), { unchanged: true });
        const args = fs.readFileSync(path.join(dir, "kubectl-args"), "utf8").trim();
        assert.match(
            args,
            /^get -n default Deployment\.v1\.apps\/app Secret\.v1\.\/app-registry -o custom-columns=UID:\.metadata\.uid,RV:\.metadata\.resourceVersion --no-headers/,
        );
    });

    it("leaves it to the engine when an object was written since, is gone, or the cluster does not answer", async () => {
        liveObjects("uid-d   42\nuid-s   7\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the cluster changed since" });
        liveObjects("uid-d2   41\nuid-s   7\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the cluster changed since" });
        liveObjects('uid-d   41\nError from server (NotFound): secrets "app-registry" not found\n', 1);
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the cluster changed since" });
    });

    it("leaves it to the engine when a program source, the stack's settings or an engine setting changed", async () => {
        write("components/release.ts", "export const x = 2;\n");
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
        write("components/release.ts", "export const x = 1;\n");
        assert.deepStrictEqual(await proof(), { unchanged: true });

        write(`stacks/Pulumi.${R}.yaml`, `config:\n  pinned:commit: abc\n  pinned:replicas: "2"\n  pinned:imageDigest: ${DIGEST}\n`);
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the program's inputs changed" });
        write(`stacks/Pulumi.${R}.yaml`, `config:\n  pinned:commit: abc\n  pinned:imageDigest: ${DIGEST}\n`);

        assert.deepStrictEqual(await proof({ PINNED_NAMESPACE: "other" }), { unchanged: false, why: "the program's inputs changed" });
        assert.deepStrictEqual(await proof({ PULUMI_BACKEND_URL: "file:///elsewhere" }), {
            unchanged: false,
            why: "the program's inputs changed",
        });
        // Secrets stay out of the hash; their ciphertext in the stack file counts instead.
        assert.deepStrictEqual(await proof({ PINNED_REGISTRY_PASSWORD: "x" }), { unchanged: true });
        // The lock holder's mark differs in every process: it must not make every up look changed.
        assert.deepStrictEqual(await proof({ PINNED_HOLDER: "another-process" }), { unchanged: true });
    });

    it("the recorded digest counts through the checkpoint: recording it after the update proves the same, another one does not", async () => {
        write(`stacks/Pulumi.${R}.yaml`, "config:\n  pinned:commit: abc\n");
        recordUpdate(ctx(), R, inputsFingerprint({ projectDir: dir, env: AMBIENT }, R, target, engineEnv()), backendUrl());
        write(`stacks/Pulumi.${R}.yaml`, `config:\n  pinned:commit: abc\n  pinned:imageDigest: ${DIGEST}\n`);
        assert.deepStrictEqual(await proof(), { unchanged: true });
        const other = DIGEST.replace(/a{64}$/, "b".repeat(64));
        assert.deepStrictEqual(await proof({}, other), { unchanged: false, why: "the stack's state deploys another digest" });
    });

    it("leaves it to the engine when the state changed since, has pending operations, or no update was recorded", async () => {
        fs.writeFileSync(checkpointFile(), checkpoint().replace('"41"', '"43"'));
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the stack's state changed since" });

        fs.writeFileSync(checkpointFile(), checkpoint({ pending: [{ type: "updating" }] }));
        recordUpdate(ctx(), R, inputsFingerprint({ projectDir: dir, env: AMBIENT }, R, target, engineEnv()), backendUrl());
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "the stack has pending operations" });

        fs.rmSync(path.join(dir, ".pinned"), { recursive: true });
        assert.deepStrictEqual(await proof(), { unchanged: false, why: "no update of this stack was recorded here" });
        assert.ok(!fs.existsSync(path.join(dir, "kubectl-args")), "the cluster is not asked before the files prove it could be unchanged");
    });
});
