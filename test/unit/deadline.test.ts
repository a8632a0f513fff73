import * as assert from "assert";
import { buildTimeoutSeconds, DeadlineError, withDeadline } from "../../pipeline/engine/deadline";

describe("deadlines on engine runs", () => {
    it("a run that stops when told, after its deadline, is reported as stopped by the deadline, naming what and the setting", async () => {
        const started = Date.now();
        await assert.rejects(
            withDeadline(
                { seconds: 0.2, what: "building and pushing r/app:1", setting: "PINNED_BUILD_TIMEOUT" },
                (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("engine stopped")))),
            ),
            (err: unknown) =>
                err instanceof DeadlineError &&
                /^building and pushing r\/app:1 did not finish within 0.2 s and was stopped/.test(err.problem) &&
                /PINNED_BUILD_TIMEOUT sets the time/.test(err.fix),
        );
        assert.ok(Date.now() - started >= 200);
    });

    it("a run that finishes in time is untouched, and its own failure stays its own", async () => {
        assert.strictEqual(await withDeadline({ seconds: 5, what: "x", setting: "y" }, async () => 42), 42);
        await assert.rejects(
            withDeadline({ seconds: 5, what: "x", setting: "y" }, async () => {
                throw new Error("refused");
            }),
            /^Error: refused$/,
        );
    });

    it("PINNED_BUILD_TIMEOUT: 1800 by default, 60 to 86400, anything else refused naming the variable", () => {
        assert.strictEqual(buildTimeoutSeconds({}), 1800);
        assert.strictEqual(buildTimeoutSeconds({ PINNED_BUILD_TIMEOUT: "60" }), 60);
        for (const bad of ["59", "86401", "1e3", "soon"]) {
            assert.throws(() => buildTimeoutSeconds({ PINNED_BUILD_TIMEOUT: bad }), /PINNED_BUILD_TIMEOUT="[^"]*" is not a whole number/);
        }
    });
});
