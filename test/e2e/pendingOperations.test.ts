import * as assert from "assert";
import * as fs from "fs";
import { childrenOf } from "../../pipeline/locks/processes";
import { useClusterProject } from "./support/clusterProject";
import { RunResult } from "./support/releaseProject";

const A = "2026-12-03-001";
const B = "2026-12-03-002";
/** A short Lease, so the run after a killed pinned waits 5 s for it, not 30. */
const LEASE = { PINNED_LEASE_SECONDS: "5" };

function commandLine(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
        return "";
    }
}

/**
 * An engine killed with SIGKILL while it rolls a Deployment out leaves
 * pending operations in the stack. The next `pinned up` of that stack
 * finds them, clears them (a pending create of an object the cluster has
 * is imported, a pending update is read back) and says so, and the one
 * after it proves the no-op again. Both apps become Ready only after 15 s,
 * so the rollout is in flight when the kill comes.
 */
describe("pending operations a killed engine left (real engine, registry, API server, node)", function () {
    this.timeout(20 * 60 * 1000);
    const suite = useClusterProject("pending");

    const pendingOperations = (release: string): Array<{ type: string; resource: { urn: string } }> => {
        const exported = suite.project.pulumi(["stack", "export", "--stack", release]);
        assert.strictEqual(exported.status, 0, exported.output);
        return JSON.parse(exported.stdout).deployment.pending_operations ?? [];
    };
    const slowApp = () => {
        const server = fs.readFileSync(`${suite.project.dir}/app/server.py`, "utf8");
        return server.replace('if __name__ == "__main__":', 'if __name__ == "__main__":\n    import time\n\n    time.sleep(15)');
    };
    /** `pinned up --release R`; one second into the rollout, `kill` gets pinned's PID and the engine's. */
    const upKilled = async (release: string, kill: (pinned: number, engine: number) => void): Promise<RunResult> => {
        let fired = false;
        const run = suite.project.pinnedAsync(["up", "--release", release], LEASE, {
            onOutput: (text) => {
                if (!fired && /rolling out Deployment/.test(text)) {
                    fired = true;
                    setTimeout(() => {
                        const engine = childrenOf(run.pid).filter((pid) => /^\S*\/pulumi up /.test(commandLine(pid)));
                        assert.strictEqual(engine.length, 1, "one engine runs the update");
                        kill(run.pid, engine[0]);
                    }, 1000);
                }
            },
        });
        const r = await run;
        assert.ok(fired, `the rollout started:\n${r.output}`);
        return r;
    };
    /** The next up clears them and says so; the one after it starts no engine. */
    const clearedThenNoOp = (release: string, left: number, said: RegExp) => {
        const next = suite.project.pinned(["up", "--release", release], LEASE);
        assert.strictEqual(next.status, 0, next.output);
        assert.match(next.output, new RegExp(`clearing ${left} pending operation\\(s\\) a stopped engine left in stack ${release}`));
        assert.match(next.output, said);
        assert.deepStrictEqual(pendingOperations(release), [], "no pending operations after the next up");
        const again = suite.project.pinned(["up", "--release", release], LEASE);
        assert.strictEqual(again.status, 0, again.output);
        assert.match(again.output, /engine: not started/);
        assert.doesNotMatch(again.output, /pending operation/);
    };

    before(async () => {
        await suite.project.release(A, { "app/server.py": slowApp() });
        const up = suite.project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
    });

    it("pinned killed (SIGKILL) mid-rollout of a new release: its stack keeps a pending create; the next up imports it", async () => {
        await suite.project.release(B, { "app/server.py": slowApp().replace('"pinned-example"', '"pinned-example-b"') });
        const killed = await upKilled(B, (pinned) => process.kill(pinned, "SIGKILL"));
        assert.strictEqual(killed.status, -1, killed.output);
        const left = pendingOperations(B);
        assert.ok(
            left.some((o) => o.type === "creating" && /Deployment::/.test(o.resource.urn)),
            `a pending create of the Deployment: ${JSON.stringify(left.map((o) => [o.type, o.resource.urn]))}`,
        );
        clearedThenNoOp(
            B,
            left.length,
            /creating kubernetes:apps\/v1:Deployment \(urn:pulumi:[^)]*\): imported: \S+\/pinned-app exists in the cluster/,
        );
    });

    it("the engine alone killed (SIGKILL) mid-rollout of a stack that existed: its lock removed, a pending update left; the next up reads it back", async () => {
        // B is live (the test before): A's stack existed, so it is kept when B is put back.
        const killed = await upKilled(A, (_pinned, engine) => process.kill(engine, "SIGKILL"));
        assert.strictEqual(killed.status, 1, killed.output);
        assert.match(killed.output, new RegExp(`the engine was killed \\(SIGKILL\\) during the update of stack ${A}`));
        assert.match(killed.output, new RegExp(`removed the lock the killed engine left on stack ${A}`));
        assert.match(killed.output, new RegExp(`putting back ${B}`));
        const left = pendingOperations(A);
        assert.ok(left.length > 0, "the killed engine left pending operations");
        clearedThenNoOp(A, left.length, /updating kubernetes:apps\/v1:Deployment \(urn:pulumi:[^)]*\): read back by a refresh/);
    });
});
