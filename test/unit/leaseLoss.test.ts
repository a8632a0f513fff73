import * as assert from "assert";
import { withDeadline } from "../../pipeline/engine/deadline";
import { LeaseLost, leaseLostSignal, losingLease } from "../../pipeline/cluster/leaseLoss";

const deadline = { seconds: 60, what: "the update", setting: "a setting" };

describe("a lost cluster Lease stops the engine", () => {
    it("an engine run under the Lease gets its stop signal when the Lease is lost, and the run fails saying why", async () => {
        const losing = losingLease("lease ns/pinned-app", 8);
        let stopped = false;
        const run = losing.around(() =>
            withDeadline(deadline, (signal) => {
                setTimeout(() => losing.lose('"pinned up --release X" (pid 1 on machine-c) took it over'), 20);
                return new Promise<void>((_, reject) =>
                    signal.addEventListener("abort", () => ((stopped = true), reject(new Error("the engine stopped")))),
                );
            }),
        );
        await assert.rejects(
            run,
            (err: unknown) =>
                err instanceof LeaseLost &&
                err.problem.startsWith(
                    'this release lost the cluster lease ns/pinned-app while it ran: "pinned up --release X" (pid 1 on machine-c) took it over.',
                ) &&
                /pinned status/.test(err.fix),
        );
        assert.ok(stopped);
        assert.strictEqual(leaseLostSignal(), undefined, "the signal is only wired while the Lease is held");
    });

    it("a run that finished although the Lease was lost meanwhile still fails: what is live may be the other release", async () => {
        const losing = losingLease("lease ns/pinned-app", 8);
        await assert.rejects(
            losing.around(async () => losing.lose("it could not be renewed for 7 s")),
            /lost the cluster lease ns\/pinned-app while it ran: it could not be renewed for 7 s/,
        );
    });

    it("a Lease held to the end changes nothing", async () => {
        const losing = losingLease("lease ns/pinned-app", 8);
        assert.strictEqual(await losing.around(() => withDeadline(deadline, async (signal) => signal.aborted)), false);
    });
});
