import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { ApiServerFaultProxy, RegistryFaultProxy } from "./support/faultProxy";
import { useClusterProject } from "./support/clusterProject";
import { RunResult } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";
const C = "2026-12-11-001";

/**
 * Faults injected into a real release, each with ports of its own: the
 * registry refusing the manifest push (a loopback proxy), the API server
 * going away mid-apply (a loopback TCP proxy in front of it, stopped), and
 * a full disk while the digest is recorded (a small tmpfs over stacks/).
 * After each, what must hold: a clear exit 1, nothing half-done, the truth
 * told, and a rerun that converges.
 */
describe("faults during a release (real engine, registry, API server, node)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("faults");
    let registry: RegistryFaultProxy;
    let hostsDir: string;
    let env: Record<string, string>;

    const pendingOperations = (release: string): unknown[] => {
        const exported = suite.project.pulumi(["stack", "export", "--stack", release]);
        assert.strictEqual(exported.status, 0, exported.output);
        return (JSON.parse(exported.output).deployment as { pending_operations?: unknown[] }).pending_operations ?? [];
    };
    const stackFile = (release: string) => path.join(suite.project.dir, "stacks", `Pulumi.${release}.yaml`);
    const readIfThere = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
    /** Runs `pinned up --release R`, calling `at` once when the output first matches `when`. */
    const upWith = (
        release: string,
        extraEnv: Record<string, string>,
        when: RegExp,
        at: () => void | Promise<void>,
    ): Promise<RunResult> => {
        let fired = false;
        return suite.project.pinnedAsync(
            ["up", "--release", release],
            { ...env, ...extraEnv },
            {
                onOutput: (text) => {
                    if (!fired && when.test(text)) {
                        fired = true;
                        void at();
                    }
                },
            },
        );
    };

    before(async () => {
        suite.cluster.requireRealNode();
        registry = await RegistryFaultProxy.start(suite.env.registry.server);
        // The node pulls through the proxy too: plain HTTP on loopback, as for the registry itself.
        hostsDir = path.join(cacheDir(process.env), "run", "node", "containerd", "certs.d", registry.address);
        fs.mkdirSync(hostsDir, { recursive: true });
        fs.writeFileSync(
            path.join(hostsDir, "hosts.toml"),
            `server = "http://${registry.address}"\n\n[host."http://${registry.address}"]\n  capabilities = ["pull", "resolve"]\n`,
        );
        env = {
            PINNED_REGISTRY: registry.address,
            PINNED_REGISTRY_USER: suite.env.registry.username,
            PINNED_REGISTRY_PASSWORD: suite.env.registry.password,
            // The node pulls through the proxy with the registry's pull-only login.
            PINNED_REGISTRY_PULL_USER: suite.env.registry.pullUsername ?? "",
            PINNED_REGISTRY_PULL_PASSWORD: suite.env.registry.pullPassword ?? "",
        };
        // The push goes through the proxy (the base image still comes from
        // the registry itself); a short progress deadline keeps a failed
        // rollout's wait short.
        const project = suite.project;
        const pulumiYaml = path.join(project.dir, "Pulumi.yaml");
        const doc = yaml.load(fs.readFileSync(pulumiYaml, "utf8")) as { config: Record<string, unknown> };
        doc.config["pinned:progressDeadlineSeconds"] = { value: "30" };
        fs.writeFileSync(pulumiYaml, yaml.dump(doc));
        await project.commit("through the fault proxy");
        await project.release(A);
        // Async: the proxies run in this process, which a synchronous child would block.
        const up = await project.pinnedAsync(["up", "--release", A], env);
        assert.strictEqual(up.status, 0, up.output);
    });

    after(async () => {
        await registry?.close();
        if (hostsDir) {
            fs.rmSync(hostsDir, { recursive: true, force: true });
        }
    });

    it("the registry answers 500 to the manifest push: exit 1 naming registry and status, nothing deployed or recorded; a rerun pushes the same image", async () => {
        const server = fs.readFileSync(path.join(suite.project.dir, "app", "server.py"), "utf8");
        await suite.project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        const liveBefore = suite.cluster.liveImage(suite.namespace);
        registry.failManifestPush = true;
        const failed = await suite.project.pinnedAsync(["up", "--release", B], env);
        registry.failManifestPush = false;
        assert.strictEqual(failed.status, 1, failed.output);
        assert.ok(registry.refused > 0, "the manifest push reached the proxy");
        assert.match(failed.output, new RegExp(`building or pushing ${registry.address.replace(/\./g, "\\.")}/\\S+:${B} failed`));
        assert.match(failed.output, /500 Internal Server Error|status 500|: 500/);
        assert.match(failed.output, /nothing was deployed/);
        assert.strictEqual(suite.cluster.liveImage(suite.namespace), liveBefore, "the cluster is unchanged");
        assert.strictEqual(readIfThere(stackFile(B)), undefined, "no stack file for B");
        // The rerun builds again and ships the same bytes (a reproducible build), which verify proves.
        const rerun = await suite.project.pinnedAsync(["up", "--release", B], env);
        assert.strictEqual(rerun.status, 0, rerun.output);
        const digest = String(suite.project.stackConfig(B)["pinned:imageDigest"]);
        assert.strictEqual(suite.cluster.liveImage(suite.namespace), digest);
        const verify = await suite.project.pinnedAsync(["verify", B], env);
        assert.strictEqual(verify.status, 0, verify.output);
    });

    it("the API server goes away mid-apply: exit 1 saying what the engine did and that the live state is unknown; no pending operations; status tells the truth; a rerun converges", async () => {
        const proxy = new ApiServerFaultProxy(
            Number(
                new URL(
                    execFileSync(
                        "kubectl",
                        [
                            "--kubeconfig",
                            suite.cluster.kubeconfig,
                            "config",
                            "view",
                            "--minify",
                            "-o",
                            "jsonpath={.clusters[0].cluster.server}",
                        ],
                        { encoding: "utf8" },
                    ),
                ).port,
            ),
        );
        await proxy.start();
        const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pinned-faults-")), "kubeconfig");
        fs.writeFileSync(
            kubeconfig,
            fs.readFileSync(suite.cluster.kubeconfig, "utf8").replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: ${proxy.url}`),
        );
        try {
            // B is live; A (recorded: no build) goes back, and the API server dies the moment its
            // rollout starts (a second later, a fast rollout had already finished: exit 0, no fault).
            const failed = await upWith(A, { KUBECONFIG: kubeconfig }, /rolling out Deployment/, () => proxy.stop());
            assert.strictEqual(failed.status, 1, failed.output);
            assert.match(failed.output, new RegExp(`the update of stack ${A} failed`));
            assert.match(failed.output, /What the engine did before it stopped: .*Deployment pinned-app/);
            assert.match(failed.output, /could not be read \(the cluster did not answer\); pinned status tells once it does/);
            await proxy.start();
            assert.deepStrictEqual(pendingOperations(A), [], "no pending operations in the stack");
            const live = suite.cluster.liveImage(suite.namespace);
            const status = await suite.project.pinnedAsync(["status"], { ...env, KUBECONFIG: kubeconfig });
            assert.ok(status.output.includes(live), `status shows what runs (${live}):\n${status.output}`);
            const rerun = await suite.project.pinnedAsync(["up", "--release", A], { ...env, KUBECONFIG: kubeconfig });
            assert.strictEqual(rerun.status, 0, rerun.output);
            assert.strictEqual(suite.cluster.liveImage(suite.namespace), String(suite.project.stackConfig(A)["pinned:imageDigest"]));
        } finally {
            await proxy.stop();
            fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
        }
    });

    it("the disk fills while the digest is recorded: exit 1 'no space', the stack file intact; a rerun records it with nothing rebuilt", async () => {
        const stacks = path.join(suite.project.dir, "stacks");
        const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pinned-stacks-")), "stacks");
        fs.cpSync(stacks, saved, { recursive: true });
        await suite.project.release(C);
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", stacks]);
        try {
            fs.cpSync(saved, stacks, { recursive: true });
            const filler = path.join(stacks, ".filler");
            const full = await upWith(C, {}, /rolling out Deployment/, () => {
                // Everything that is left; dd stops at "No space left on device".
                spawnSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=4k"], { stdio: "ignore" });
            });
            assert.strictEqual(full.status, 1, full.output);
            assert.match(full.output, /no space left on the device/);
            assert.match(full.output, new RegExp(`release ${C} is live \\(.*\\), but its digest could not be recorded`));
            const record = yaml.load(fs.readFileSync(stackFile(C), "utf8")) as { config: Record<string, string> };
            assert.ok(record.config["pinned:commit"], "the stack file still parses and holds the commit");
            assert.strictEqual(record.config["pinned:imageDigest"], undefined, "the old content: no digest");
            fs.rmSync(filler);
            const rerun = await suite.project.pinnedAsync(["up", "--release", C], env);
            assert.strictEqual(rerun.status, 0, rerun.output);
            assert.match(rerun.output, /reused, not rebuilt/);
            const digest = String(suite.project.stackConfig(C)["pinned:imageDigest"]);
            assert.strictEqual(suite.cluster.liveImage(suite.namespace), digest);
            fs.cpSync(stacks, saved, { recursive: true });
        } finally {
            execFileSync("umount", [stacks]);
            fs.cpSync(saved, stacks, { recursive: true });
            fs.rmSync(path.dirname(saved), { recursive: true, force: true });
        }
    });
});
