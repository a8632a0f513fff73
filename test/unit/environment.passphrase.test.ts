import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Env } from "../../core/env";
import { engineEnv } from "../../pipeline/engine/environment";
import { testContext } from "../support/context";

describe("the engine's passphrase", () => {
    let cache: string;
    /** The environment pinned is given: the cache a temporary folder, no passphrase of the user's. */
    let env: Env;
    beforeEach(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-engine-env-"));
        env = { ...process.env, PINNED_CACHE: cache, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined };
    });
    afterEach(() => {
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("the embedded default's reaches the engine as a file (0600), never as a variable its children inherit", () => {
        const engine = engineEnv(testContext(env));
        assert.strictEqual(engine.PULUMI_CONFIG_PASSPHRASE, undefined);
        assert.strictEqual(engine.PULUMI_CONFIG_PASSPHRASE_FILE, path.join(cache, "passphrase"));
        assert.strictEqual(fs.statSync(engine.PULUMI_CONFIG_PASSPHRASE_FILE).mode & 0o777, 0o600);
        assert.ok(fs.readFileSync(engine.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").length >= 32);
        assert.strictEqual(engineEnv(testContext(env)).PULUMI_CONFIG_PASSPHRASE_FILE, engine.PULUMI_CONFIG_PASSPHRASE_FILE, "made once");
    });

    it("the user's own setting is left as they made it", () => {
        const team = { ...env, PULUMI_CONFIG_PASSPHRASE_FILE: "/team/passphrase" };
        assert.deepStrictEqual(
            [engineEnv(testContext(team)).PULUMI_CONFIG_PASSPHRASE, engineEnv(testContext(team)).PULUMI_CONFIG_PASSPHRASE_FILE],
            [undefined, "/team/passphrase"],
        );
        assert.strictEqual(engineEnv(testContext({ ...team, PULUMI_CONFIG_PASSPHRASE: "mine" })).PULUMI_CONFIG_PASSPHRASE, "mine");
        assert.strictEqual(fs.existsSync(path.join(cache, "passphrase")), false, "no default file made");
    });
});
