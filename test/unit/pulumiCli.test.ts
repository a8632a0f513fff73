import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { Context } from "../../pipeline/context";
import { pulumiCli } from "../../pipeline/engine/pulumiCli";
import { testContext } from "../support/context";

/**
 * The engine runner, with a stand-in pulumi where `pinned env up` puts the
 * project's own ($PINNED_CACHE/bin/pulumi) and nothing else on the
 * context's PATH.
 */
describe("pulumi CLI runner", () => {
    let dir: string;
    /** The context the runner is given: its environment names the cache, an empty PATH, a secret the engine reads and one it does not. */
    let ctx: Context;
    /** The stand-in: writes its arguments, environment and stdin to files in `dir`, then runs `script`. */
    const standIn = (script: string) =>
        fs.writeFileSync(
            path.join(dir, "cache", "bin", "pulumi"),
            `#!/bin/sh\necho "$@" > ${dir}/args\n/usr/bin/env > ${dir}/env\n/bin/cat > ${dir}/stdin\n${script}\n`,
            { mode: 0o755 },
        );
    const seen = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-pulumi-cli-"));
        fs.mkdirSync(path.join(dir, "cache", "bin"), { recursive: true });
        ctx = testContext({
            ...process.env,
            PINNED_CACHE: path.join(dir, "cache"),
            PATH: path.join(dir, "empty"),
            PULUMI_CONFIG_PASSPHRASE: "passphrase-kept-4c1d",
            COSIGN_PASSWORD: "cosign-dropped-9e2b",
        });
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("runs the project's pulumi in the caller's directory, with the input on stdin; its status and output are the caller's", async () => {
        standIn("echo exported\necho 'error: no such stack' >&2\nexit 3");
        const r = await pulumiCli(ctx, ["config", "set", "--secret", "k"], { cwd: dir, env: {}, what: "set k", input: "the-secret" });
        assert.deepStrictEqual([r.status, r.stdout.trim(), r.stderr.trim()], [3, "exported", "error: no such stack"]);
        assert.strictEqual(seen("args").trim(), "config set --secret k");
        assert.strictEqual(seen("stdin"), "the-secret");
        assert.match(seen("env"), new RegExp(`^PWD=${dir}$`, "m"));
    });

    it("the engine gets what it reads and what the caller sets, and not a secret it has no use for", async () => {
        standIn("exit 0");
        await pulumiCli(ctx, ["stack", "ls"], { cwd: dir, env: { PULUMI_BACKEND_URL: "s3://states" }, what: "list the stacks" });
        const env = seen("env");
        assert.match(env, /^PULUMI_BACKEND_URL=s3:\/\/states$/m);
        assert.match(env, /^PULUMI_CONFIG_PASSPHRASE=passphrase-kept-4c1d$/m, "the passphrase decrypts the stack");
        assert.doesNotMatch(env, /cosign-dropped-9e2b/);
    });

    it("a run past its time is killed, and the error names what pinned tried", async () => {
        standIn("exec /bin/sleep 30");
        const started = Date.now();
        await assert.rejects(
            pulumiCli(ctx, ["preview", "--json"], { cwd: dir, env: {}, what: "preview stack r2", wait: 0.3 }),
            (e: unknown) =>
                e instanceof PinnedError &&
                /^pulumi preview did not finish within 0.3 s and was stopped while pinned tried to preview stack r2;/.test(e.problem),
        );
        assert.ok(Date.now() - started < 5000, "killed at its deadline, not when sleep ended");
    });

    it("no pulumi, neither built by pinned env up nor on PATH, is a PinnedError with the fix", async () => {
        await assert.rejects(
            pulumiCli(ctx, ["stack", "ls"], { cwd: dir, env: {}, what: "list the stacks" }),
            (e: unknown) => e instanceof PinnedError && e.problem === "no pulumi CLI on PATH." && /pinned env up/.test(e.fix),
        );
    });
});
