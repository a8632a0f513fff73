import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { useClusterProject } from "./support/clusterProject";

const A = "2026-12-02-001";
const B = "2026-12-02-002";
const C = "2026-12-02-003";
const D = "2026-12-02-004";

/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group of
 * `pinned up`, once the output shows `when`. Resolves to the exit code and output.
 */
function interruptAt(
    dir: string,
    env: Record<string, string>,
    args: string[],
    when: RegExp,
    signal: NodeJS.Signals = "SIGINT",
): Promise<{ status: number | null; output: string }> {
    const child = spawn(path.join(dir, "bin", "pinned"), args, { cwd: dir, env, detached: true });
    let output = "";
    let sent = false;
    const onData = (d: Buffer) => {
        output += d.toString();
        if (!sent && when.test(output)) {
            sent = true;
            // A moment into the step, then the whole group, as a terminal does.
            setTimeout(() => process.kill(-child.pid!, signal), 500);
        }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    return new Promise((resolve) => child.on("close", (status) => resolve({ status, output })));
}

describe("Ctrl-C during pinned up (real engine, registry, API server, node)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("interrupt");
    let digestA: string;

    const locksOfSuite = () => fs.readdirSync(path.join(cacheDir(process.env), "locks")).filter((f) => f.includes(suite.namespace));
    const stacks = () => JSON.parse(suite.project.pulumi(["stack", "ls", "--json"]).stdout) as Array<{ name: string }>;
    const noPendingOperations = (stack: string) => {
        const state = JSON.parse(suite.project.pulumi(["stack", "export", "--stack", stack]).stdout);
        assert.deepStrictEqual(state.deployment.pending_operations ?? [], [], `${stack} has no pending operations`);
    };

    before(async () => {
        await suite.project.release(A);
        const up = suite.project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestA = String(suite.project.stackConfig(A)["pinned:imageDigest"]);
    });

    it("at the build: exit 130, the new stack and its file gone, the lock released, A still live", async () => {
        const server = fs.readFileSync(path.join(suite.project.dir, "app", "server.py"), "utf8");
        await suite.project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        const r = await interruptAt(suite.project.dir, suite.project.commandEnv(), ["up", "--release", B], /building /);
        assert.strictEqual(r.status, 130, r.output);
        assert.match(r.output, /SIGINT: stopping cleanly/);
        assert.ok(!stacks().some((s) => s.name === B), "no stack for the interrupted release");
        assert.ok(!fs.existsSync(path.join(suite.project.dir, "stacks", `Pulumi.${B}.yaml`)), "no stack file for it");
        assert.deepStrictEqual(locksOfSuite(), [], "the lock is released");
        noPendingOperations(A);
        assert.strictEqual(suite.cluster.liveImage(suite.namespace), digestA);
    });

    it("a closed terminal (SIGHUP to the group) at the build is handled as Ctrl-C: exit 130, nothing left behind", async () => {
        const server = fs.readFileSync(path.join(suite.project.dir, "app", "server.py"), "utf8");
        await suite.project.release(D, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-d"') });
        const r = await interruptAt(suite.project.dir, suite.project.commandEnv(), ["up", "--release", D], /building /, "SIGHUP");
        assert.strictEqual(r.status, 130, r.output);
        assert.match(r.output, /SIGHUP: stopping cleanly/);
        assert.ok(!stacks().some((s) => s.name === D), "no stack for the interrupted release");
        assert.ok(!fs.existsSync(path.join(suite.project.dir, "stacks", `Pulumi.${D}.yaml`)), "no stack file for it");
        assert.deepStrictEqual(locksOfSuite(), [], "the lock is released");
        assert.strictEqual(suite.cluster.liveImage(suite.namespace), digestA);
    });

    it("pinned preview interrupted while the engine previews: exit 130, its temporary stack (which holds the secrets) removed", async () => {
        await suite.project.commit("a change to preview", { "app/README.txt": "previewed\n" });
        const tmp = os.tmpdir();
        const before = new Set(fs.readdirSync(tmp).filter((f) => f.startsWith("pinned-preview-")));
        const r = await interruptAt(suite.project.dir, suite.project.commandEnv(), ["preview"], /previewing stack /);
        assert.strictEqual(r.status, 130, r.output);
        assert.match(r.output, /SIGINT: the preview stopped; its temporary files were removed/);
        const left = fs.readdirSync(tmp).filter((f) => f.startsWith("pinned-preview-") && !before.has(f));
        assert.deepStrictEqual(left, [], "no temporary stack left behind");
    });

    it("at the rollout: exit 130 saying what runs, no pending operations, the Deployment unchanged or fully rolled", async () => {
        const server = fs.readFileSync(path.join(suite.project.dir, "app", "server.py"), "utf8");
        await suite.project.release(C, {
            // Ready only after 15 s, so the rollout is in flight when the interrupt comes.
            "app/server.py": server.replace(
                'if __name__ == "__main__":',
                'if __name__ == "__main__":\n    import time\n\n    time.sleep(15)',
            ),
        });
        const r = await interruptAt(suite.project.dir, suite.project.commandEnv(), ["up", "--release", C], /rolling out Deployment/);
        assert.strictEqual(r.status, 130, r.output);
        assert.match(r.output, new RegExp(`interrupted while release ${C} was rolling out: .* now runs its image`));
        assert.doesNotMatch(r.output, /unexpected failure/);
        assert.ok(!stacks().some((s) => s.name === C), "the stack this run created is removed");
        assert.deepStrictEqual(locksOfSuite(), [], "the lock is released");
        noPendingOperations(A);
        assert.ok(suite.cluster.rolledOut(suite.namespace), "the rollout completes on its own");
        const back = suite.project.pinned(["rollback", "--to", A]);
        assert.strictEqual(back.status, 0, back.output);
        assert.strictEqual(suite.cluster.liveImage(suite.namespace), digestA);
    });
});
