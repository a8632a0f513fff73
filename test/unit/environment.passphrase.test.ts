import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineEnv } from "../../release/engine/environment";
import { testContext } from "../support/context";
import { ProcessEnv } from "../support/processEnv";

describe("the engine's passphrase", () => {
    const processEnv = new ProcessEnv();
    let cache: string;
    beforeEach(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-engine-env-"));
        processEnv.set({ PINNED_CACHE: cache, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined });
    });
    afterEach(() => {
        processEnv.restore();
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("the embedded default's reaches the engine as a file (0600), never as a variable its children inherit", () => {
        const env = engineEnv(testContext());
        assert.strictEqual(env.PULUMI_CONFIG_PASSPHRASE, undefined);
        assert.strictEqual(env.PULUMI_CONFIG_PASSPHRASE_FILE, path.join(cache, "passphrase"));
        assert.strictEqual(fs.statSync(env.PULUMI_CONFIG_PASSPHRASE_FILE).mode & 0o777, 0o600);
        assert.ok(fs.readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").length >= 32);
        assert.strictEqual(engineEnv(testContext()).PULUMI_CONFIG_PASSPHRASE_FILE, env.PULUMI_CONFIG_PASSPHRASE_FILE, "made once");
    });

    it("the user's own setting is left as they made it", () => {
        process.env.PULUMI_CONFIG_PASSPHRASE_FILE = "/team/passphrase";
        assert.deepStrictEqual(
            [engineEnv(testContext()).PULUMI_CONFIG_PASSPHRASE, engineEnv(testContext()).PULUMI_CONFIG_PASSPHRASE_FILE],
            [undefined, "/team/passphrase"],
        );
        process.env.PULUMI_CONFIG_PASSPHRASE = "mine";
        assert.strictEqual(engineEnv(testContext()).PULUMI_CONFIG_PASSPHRASE, "mine");
        assert.strictEqual(fs.existsSync(path.join(cache, "passphrase")), false, "no default file made");
    });
});
