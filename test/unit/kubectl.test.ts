import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { Kubectl, kubectlFor, kubectlWith, REQUEST_TIMEOUT_S } from "../../pipeline/cluster/kubectl";

/** The kubectl runner, with a stand-in kubectl (a shell script) alone on the PATH of the environment it is given. */
describe("kubectl runner", () => {
    let bin: string;
    /** The runner as the context makes it, bound to an environment whose PATH is the stand-in's folder alone. */
    let kubectl: Kubectl;
    /** The same with short timeouts, so a test sees a kill in well under a second. */
    let quick: Kubectl;
    /** The stand-in: `script` runs with kubectl's arguments, which it also appends to $bin/args. */
    const standIn = (script: string) =>
        fs.writeFileSync(path.join(bin, "kubectl"), `#!/bin/sh\necho "$@" >> ${bin}/args\n${script}\n`, { mode: 0o755 });
    const argsSeen = () => fs.readFileSync(path.join(bin, "args"), "utf8").trim();

    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-kubectl-"));
        // Nothing else on PATH: no real kubectl is found (the stand-ins name sleep by its path).
        const env = { PATH: bin };
        kubectl = kubectlFor(env);
        quick = kubectlWith({ requestSeconds: 0.2, graceSeconds: 0.2 }, env);
    });
    afterEach(() => {
        fs.rmSync(bin, { recursive: true, force: true });
    });

    it("a kubectl that exits without reading its input is its exit status, not a crash (EPIPE)", async () => {
        standIn("echo read-nothing\nexit 0");
        // Far more than a pipe buffer, so the write is still going when the child exits.
        for (let i = 0; i < 5; i++) {
            const r = await kubectl(undefined, ["get", "x"], "read x", { input: "y".repeat(4 * 1024 * 1024) });
            assert.deepStrictEqual([r.status, r.stdout.trim()], [0, "read-nothing"]);
        }
    });

    it("gives the caller's kubeconfig and the request timeout; a failing kubectl is its status and stderr, for the caller to judge", async () => {
        standIn("echo 'Error from server (NotFound): nope' >&2\nexit 1");
        const r = await kubectl("/k/config", ["get", "deployment", "d"], "read d");
        assert.strictEqual(argsSeen(), `--kubeconfig /k/config get deployment d --request-timeout=${REQUEST_TIMEOUT_S}s`);
        assert.deepStrictEqual([r.status, r.stderr.trim()], [1, "Error from server (NotFound): nope"]);
    });

    it("a kubectl that never ends is killed, and the error names what pinned tried", async () => {
        standIn("exec /bin/sleep 30");
        const started = Date.now();
        await assert.rejects(
            quick(undefined, ["get", "lease", "l"], "renew lease l"),
            (e: unknown) =>
                e instanceof PinnedError && e.problem === "the API server did not answer within 0.2 s while pinned tried to renew lease l.",
        );
        assert.ok(Date.now() - started < 5000, "killed at its deadline, not when sleep ended");
    });

    it("a request that timed out inside kubectl is the same error", async () => {
        standIn(
            "echo 'Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)' >&2\nexit 1",
        );
        await assert.rejects(
            kubectl(undefined, ["get", "pods"], "read the pods"),
            (e: unknown) => e instanceof PinnedError && /did not answer within 10 s while pinned tried to read the pods/.test(e.problem),
        );
    });

    it("a call that waits by design gets --timeout and that much longer before it is killed", async () => {
        // Answers after 0.8 s: past the plain call's 0.4 s, within the waiting call's 1.4 s.
        standIn("/bin/sleep 0.8\necho rolled out");
        await assert.rejects(quick(undefined, ["rollout", "status", "deployment/d"], "wait for d"), PinnedError);
        fs.rmSync(path.join(bin, "args"));
        const r = await quick(undefined, ["rollout", "status", "deployment/d"], "wait for d", { wait: 1 });
        assert.deepStrictEqual([r.status, r.stdout.trim()], [0, "rolled out"]);
        assert.strictEqual(argsSeen(), "rollout status deployment/d --request-timeout=0.2s --timeout=1s");
    });

    it("no kubectl on PATH is a PinnedError saying what could not be done", async () => {
        await assert.rejects(
            kubectl(undefined, ["get", "pods"], "read the pods"),
            (e: unknown) => e instanceof PinnedError && e.problem === "kubectl is not on PATH, so pinned cannot read the pods.",
        );
    });
});
