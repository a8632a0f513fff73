import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { deployRelease } from "../../pipeline/workflow/deploy";
import { testContext } from "../support/context";
import { recordedSteps } from "../support/recordedSteps";

const R = parseReleaseName("2026-12-03-001");

/**
 * What deployRelease (workflow/deploy.ts) does with the context it is
 * given, up to the engine: the target and the settings come from the
 * context's environment, every setting is checked before a lock is taken,
 * and a failure under the lock releases it. The project and the cache are
 * temporary folders, so the lock files are the test's own. The update
 * itself (the engine, the rollout, the put-back it triggers) is left to
 * the e2e tests.
 */
describe("deployRelease: the target, the checks and the lock, from the context", () => {
    let dir: string;
    let projectDir: string;
    let cache: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-deploy-"));
        projectDir = path.join(dir, "project");
        cache = path.join(dir, "cache");
        fs.mkdirSync(path.join(projectDir, "stacks"), { recursive: true });
        fs.mkdirSync(cache);
        fs.writeFileSync(path.join(projectDir, "Pulumi.yaml"), "name: pinned\nruntime: nodejs\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const context = (env: Record<string, string>) =>
        testContext({ PATH: process.env.PATH ?? "", HOME: dir, PINNED_CACHE: cache, ...env }, projectDir);
    const request = { release: R, commit: "a".repeat(40), command: "pinned up --release 2026-12-03-001" };
    const lockFiles = () => {
        const locks = path.join(cache, "locks");
        return fs.existsSync(locks) ? fs.readdirSync(locks).filter((f) => f.endsWith(".lock")) : [];
    };

    it("with no cluster in the context's environment or cache, refuses before anything, naming the ways to give one", async () => {
        const steps = recordedSteps();
        await assert.rejects(
            deployRelease(context({}), request, steps),
            (err: unknown) => err instanceof ConfigError && err.problem.startsWith("no cluster to deploy to"),
        );
        assert.deepStrictEqual(steps.said, [`note: release ${R} at aaaaaaaaaaaa`]);
        assert.ok(!fs.existsSync(path.join(cache, "locks")), "no lock taken");
    });

    for (const [name, value, said] of [
        ["PINNED_LOCK_TIMEOUT", "soon", /PINNED_LOCK_TIMEOUT="soon" is not a number of seconds/],
        ["PINNED_LEASE_SECONDS", "1", /PINNED_LEASE_SECONDS/],
        ["PINNED_BUILD_TIMEOUT", "5", /PINNED_BUILD_TIMEOUT/],
    ] as const) {
        it(`a bad ${name} in the context's environment is refused before any lock is taken`, async () => {
            const ctx = context({ PINNED_RENDER_YAML_TO: path.join(projectDir, ".pinned", "rendered"), [name]: value });
            await assert.rejects(
                deployRelease(ctx, request, recordedSteps()),
                (err: unknown) => err instanceof PinnedError && said.test(err.problem),
            );
            assert.ok(!fs.existsSync(path.join(cache, "locks")), "no lock taken");
        });
    }

    it("the release's settings are resolved against the context's project: a render directory outside it is refused", async () => {
        const ctx = context({ PINNED_RENDER_YAML_TO: path.join(dir, "elsewhere") });
        await assert.rejects(
            deployRelease(ctx, request, recordedSteps()),
            (err: unknown) => err instanceof ConfigError && err.problem.includes(`which is outside the project (${projectDir})`),
        );
        assert.ok(!fs.existsSync(path.join(cache, "locks")), "no lock taken");
    });

    it("a failure under the lock (here the state store the context names is not set up) releases it for the next run", async () => {
        // PINNED_LOCK_TIMEOUT=0: a lock left held would refuse the second run at once, naming its holder.
        const ctx = context({
            PINNED_RENDER_YAML_TO: path.join(projectDir, ".pinned", "rendered"),
            PINNED_STATE: "store",
            PINNED_LOCK_TIMEOUT: "0",
        });
        for (const run of [1, 2]) {
            await assert.rejects(
                deployRelease(ctx, request, recordedSteps()),
                (err: unknown) =>
                    err instanceof ConfigError && /PINNED_STATE=store, but the embedded state store is not set up/.test(err.problem),
                `run ${run}`,
            );
            assert.deepStrictEqual(lockFiles(), [], `run ${run} left no lock file`);
        }
        assert.ok(fs.existsSync(path.join(cache, "locks")), "the lock was taken in the context's cache");
    });
});
