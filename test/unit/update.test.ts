import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { runUpdate, UpdateFailedError } from "../../pipeline/engine/update";
import { recordedSteps } from "../support/recordedSteps";

const R = "2026-12-03-001";

/** The engine's refusal as the Automation API throws it (its constructor is internal to the SDK). */
function engineError(stderr: string, code = 255): CommandError {
    const result = { stdout: "", stderr, code, toString: () => `code: ${code}\n stderr: ${stderr}` };
    return new (CommandError as unknown as new (r: typeof result) => CommandError)(result);
}

/**
 * One update of a release's stack (engine/update.ts) against a stand-in
 * stack whose `up` is the test's: the engine's full text goes to the
 * project's own log file, a failure says what the engine said and names
 * that file, and a lock the engine refused on is not removed unless its
 * engine is known gone. The project is a temporary folder given in the
 * context, so the log is written there and nowhere else.
 */
describe("runUpdate: one pulumi up of a release's stack", () => {
    let projectDir: string;
    let cancelled: number;
    beforeEach(() => {
        projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-update-"));
        cancelled = 0;
    });
    afterEach(() => fs.rmSync(projectDir, { recursive: true, force: true }));

    const logFile = () => path.join(projectDir, ".pinned", "logs", `${R}.log`);

    /** A stack whose update runs `up`; backend files in the project (none here). */
    function stack(up: (opts: UpOptions) => Promise<void>): Stack {
        return {
            name: R,
            workspace: { envVars: { PULUMI_BACKEND_URL: `file://${path.join(projectDir, "backend")}` } },
            up,
            cancel: async () => {
                cancelled++;
            },
        } as unknown as Stack;
    }

    it("resolves to the stack's outputs, and keeps the engine's text in the project's log (0600)", async () => {
        const s = stack(async (opts) => {
            opts.onOutput?.("Updating (2026-12-03-001)\n");
            opts.onEvent?.({
                sequence: 1,
                timestamp: 0,
                resOutputsEvent: {
                    metadata: { type: "pulumi:pulumi:Stack", urn: "urn:stack", op: "same", new: { outputs: { imageDigest: "d" } } },
                    planning: false,
                },
            } as never);
        });
        const outputs = await runUpdate({ projectDir }, s, recordedSteps(), undefined, 60);
        assert.deepStrictEqual(outputs, { imageDigest: "d" });
        assert.strictEqual(fs.readFileSync(logFile(), "utf8"), "Updating (2026-12-03-001)\n");
        assert.strictEqual(fs.statSync(logFile()).mode & 0o777, 0o600);
    });

    it("a failed update says what the engine said, names the log, and carries the stack and what this run created", async () => {
        const created = { fileBefore: "config: {}\n" };
        const s = stack(async () => {
            throw engineError("error: update failed\n  deployment default/pinned-app: Progress deadline exceeded");
        });
        const err = await runUpdate({ projectDir }, s, recordedSteps(), created, 60).then(
            () => assert.fail("the update should fail"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof UpdateFailedError, String(err));
        assert.match(err.problem, /^the update of stack 2026-12-03-001 failed; the engine says:\n {4}error: update failed\n/);
        assert.match(err.problem, /Progress deadline exceeded/);
        assert.ok(err.problem.includes(path.relative(process.cwd(), logFile())), err.problem);
        assert.match(err.problem, /no digest was recorded\.$/);
        assert.strictEqual(err.failedStack, s);
        assert.strictEqual(err.created, created);
        assert.match(fs.readFileSync(logFile(), "utf8"), /--- the engine's error output ---\nerror: update failed/);
    });

    it("a lock of an engine not known to be gone stays: refused naming its holder, nothing cancelled", async () => {
        let ups = 0;
        // Made after now: after any takeover this process noted (another suite's), so not known gone.
        const at = new Date(Date.now() + 3_600_000).toISOString();
        const s = stack(async () => {
            ups++;
            throw engineError(
                "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
                    `  file://x/.pulumi/locks/organization/pinned/${R}/a.json: created by alice@ci (pid 4242) at ${at}`,
            );
        });
        await assert.rejects(
            runUpdate({ projectDir }, s, recordedSteps(), undefined, 60),
            (e: unknown) =>
                e instanceof UpdateFailedError &&
                e.problem.includes(`is locked by the engine of alice@ci (pid 4242) at ${at}`) &&
                /pulumi cancel --stack 2026-12-03-001 --yes/.test(e.fix),
        );
        assert.strictEqual(cancelled, 0, "pulumi cancel is not run");
        assert.strictEqual(ups, 1, "not retried");
    });

    it("an engine that outlives its deadline is stopped, and the failure says so", async () => {
        const s = stack(
            (opts) =>
                new Promise<void>((_resolve, reject) =>
                    opts.signal?.addEventListener("abort", () => reject(engineError("error: update canceled", 1))),
                ),
        );
        await assert.rejects(
            runUpdate({ projectDir }, s, recordedSteps(), undefined, 0.2),
            (e: unknown) => e instanceof UpdateFailedError && /did not finish within 0.2 s and was stopped/.test(e.problem),
        );
    });
});
