import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, PinnedError } from "../../core/errors";
import { chooseTarget, forgetLocalClusterAnswer, startLocalClusterCheck } from "../../pipeline/cluster/target";
import { Kubectl } from "../../pipeline/cluster/kubectl";
import { testContext } from "../support/context";
import { kubeconfig } from "../support/kubeconfig";

describe("where a release goes: a cluster that answers, or a refusal", () => {
    const saved = { ...process.env };
    let cache: string;
    beforeEach(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-target-"));
        process.env.PINNED_CACHE = cache;
        delete process.env.KUBECONFIG;
        delete process.env.PINNED_RENDER_YAML_TO;
        forgetLocalClusterAnswer();
    });
    afterEach(() => {
        process.env = { ...saved };
        forgetLocalClusterAnswer();
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("an embedded cluster that does not answer is an error naming why and the fix, never rendering", async () => {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        fs.writeFileSync(path.join(cache, "kubeconfig"), kubeconfig("https://127.0.0.1:1"));
        await assert.rejects(
            () => chooseTarget(testContext(), "2026-12-03-001", {}),
            (err: unknown) =>
                err instanceof ConfigError &&
                /^the embedded cluster \(pinned env up\) does not answer: .*127.0.0.1:1 was refused/.test(err.problem) &&
                /pinned env up/.test(err.fix) &&
                /PINNED_RENDER_YAML_TO=<dir>/.test(err.fix),
        );
    });

    it("no cluster at all is an error naming the ways to give one or to render", async () => {
        await assert.rejects(
            () => chooseTarget(testContext(), "2026-12-03-001", {}),
            (err: unknown) =>
                err instanceof ConfigError &&
                err.problem.startsWith("no cluster to deploy to") &&
                /KUBECONFIG or pinned:kubeconfig/.test(err.fix),
        );
    });

    it("a command with something to say without a cluster gets a render target saying why", async () => {
        assert.deepStrictEqual(await chooseTarget(testContext(), "r", {}, { renderWithoutCluster: true }), {
            kind: "render",
            dir: path.join(".pinned", "rendered", "r"),
            source: "no cluster configured",
        });
        fs.writeFileSync(path.join(cache, "kubeconfig"), kubeconfig("https://127.0.0.1:1"));
        forgetLocalClusterAnswer();
        const target = await chooseTarget(testContext(), "r", {}, { renderWithoutCluster: true });
        assert.strictEqual(target.kind, "render");
        assert.match(target.source, /^the embedded cluster does not answer: .*127.0.0.1:1 was refused/);
    });

    it("the readiness check runs through the context's kubectl runner, once per command, and an API server that never answers is a refusal", async () => {
        fs.writeFileSync(path.join(cache, "kubeconfig"), kubeconfig("https://127.0.0.1:1"));
        const calls: string[][] = [];
        const silent: Kubectl = async (kubeconfigFile, args, what) => {
            calls.push([kubeconfigFile ?? "", ...args]);
            throw new PinnedError(`the API server did not answer within 10 s while pinned tried to ${what}.`, "check the cluster");
        };
        const ctx = { ...testContext(), kubectl: silent };
        startLocalClusterCheck(ctx);
        for (let i = 0; i < 2; i++) {
            await assert.rejects(
                () => chooseTarget(ctx, "r", {}),
                (err: unknown) =>
                    err instanceof ConfigError &&
                    err.problem ===
                        "the embedded cluster (pinned env up) does not answer: the API server did not answer within 10 s while pinned tried to ask the embedded cluster whether it is ready.",
            );
        }
        assert.deepStrictEqual(calls, [[path.join(cache, "kubeconfig"), "get", "--raw", "/readyz"]]);
    });

    it("rendering when asked for, and KUBECONFIG as given, without asking any cluster", async () => {
        process.env.PINNED_RENDER_YAML_TO = "out";
        assert.deepStrictEqual(await chooseTarget(testContext(), "r", {}), { kind: "render", dir: "out", source: "PINNED_RENDER_YAML_TO" });
        delete process.env.PINNED_RENDER_YAML_TO;
        process.env.KUBECONFIG = "/k/config";
        assert.deepStrictEqual(await chooseTarget(testContext(), "r", {}), {
            kind: "cluster",
            kubeconfig: "/k/config",
            source: "KUBECONFIG",
        });
    });

    it("the stack's pinned:kubeconfig contents become a file of this process's own (0600) that kubectl reads", async () => {
        const contents = kubeconfig("https://10.0.0.1:6443");
        const target = await chooseTarget(testContext(), "r", { "pinned:kubeconfig": { value: contents } });
        assert.strictEqual(target.kind, "cluster");
        const file = (target as { kubeconfig: string }).kubeconfig;
        assert.strictEqual(fs.readFileSync(file, "utf8"), contents);
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
        const byPath = await chooseTarget(testContext(), "r", { "pinned:kubeconfig": { value: "/etc/team/kubeconfig" } });
        assert.deepStrictEqual(byPath, { kind: "cluster", kubeconfig: "/etc/team/kubeconfig", source: "pinned:kubeconfig" });
    });
});
