import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { PinnedError } from "../../core/errors";
import { interrupted, InterruptedError, interruptSignal, withInterrupts } from "../../pipeline/engine/interrupt";
import { recordedSteps } from "../support/recordedSteps";

/**
 * Ctrl-C during a release (engine/interrupt.ts): the first one asks the
 * engine to stop cleanly and turns what the release then throws into an
 * interrupt (exit 130); the second stops every engine this process started
 * at once. The signal is delivered to the handler withInterrupts installs,
 * as the process would deliver it, without signalling the test runner.
 */
describe("withInterrupts: the first Ctrl-C stops cleanly, the second at once", () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
        child?.kill("SIGKILL");
        child = undefined;
    });

    /** The handler withInterrupts added for `signal` (the last one added). */
    const deliver = (signal: NodeJS.Signals) => {
        const handler = process.listeners(signal).at(-1) as (s: NodeJS.Signals) => void;
        handler(signal);
    };

    it("the first interrupt aborts the run's signal and the release's failure becomes an InterruptedError", async () => {
        const steps = recordedSteps();
        const run = withInterrupts(steps, async () => {
            const signal = interruptSignal();
            assert.ok(signal && !signal.aborted);
            deliver("SIGINT");
            assert.ok(signal.aborted && interrupted(), "the engine runs given this signal are asked to stop");
            throw new PinnedError("the update of stack r failed", "fix it");
        });
        await assert.rejects(
            run,
            (err: unknown) => err instanceof InterruptedError && /^interrupted: the update of stack r failed/.test(err.problem),
        );
        assert.match(steps.said.join("\n"), /SIGINT: stopping cleanly .* a second Ctrl-C stops the engine at once/);
        assert.strictEqual(interruptSignal(), undefined, "no interrupt outside the run");
    });

    it("the second interrupt sends SIGINT to every process this one started", async () => {
        child = spawn("sleep", ["60"], { stdio: "ignore" });
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.on("exit", (_code, signal) => resolve(signal)));
        await new Promise((r) => child!.on("spawn", r));
        const steps = recordedSteps();
        // The first signal (SIGTERM here) asks for a clean stop; the second stops at once.
        const signal = await withInterrupts(steps, async () => {
            deliver("SIGTERM");
            deliver("SIGINT");
            return exited;
        });
        assert.strictEqual(signal, "SIGINT", "the child got SIGINT");
        assert.match(steps.said.join("\n"), /SIGINT again: stopping the engine at once/);
    });

    it("a failure without an interrupt is thrown as it is, and the handlers are gone after the run", async () => {
        const counts = () => (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => process.listenerCount(s));
        const before = counts();
        const failure = new PinnedError("the registry refused", "log in");
        await assert.rejects(
            withInterrupts(recordedSteps(), async () => {
                assert.deepStrictEqual(
                    counts(),
                    before.map((n) => n + 1),
                );
                throw failure;
            }),
            (err: unknown) => err === failure,
        );
        assert.deepStrictEqual(counts(), before);
        assert.strictEqual(interrupted(), false);
    });
});
