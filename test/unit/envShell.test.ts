import * as assert from "assert";
import { formatShellSettings, shellSettings } from "../../pipeline/project/envShell";
import { testContext } from "../support/context";

describe("pinned env shell", () => {
    it("prints the engine, plugin, backend, passphrase-file and kubeconfig settings, leaving the user's own alone", () => {
        const mine = shellSettings(
            testContext({ PATH: "/usr/bin", PULUMI_BACKEND_URL: "s3://mine", PULUMI_CONFIG_PASSPHRASE: "p", KUBECONFIG: "/k" }),
        );
        const names = mine.map(([k]) => k);
        assert.deepStrictEqual(names, [
            "PATH",
            "PULUMI_SKIP_UPDATE_CHECK",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
            "PULUMI_IGNORE_AMBIENT_PLUGINS",
        ]);
        const text = formatShellSettings([...mine, ["X", "it's"]]);
        assert.match(text, /^export PATH='[^']+\/bin':"\$PATH"$/m);
        assert.match(text, /^export X='it'\\''s'$/m);
        const fresh = shellSettings(testContext({ PATH: "/usr/bin" })).map(([k]) => k);
        assert.ok(fresh.includes("PULUMI_BACKEND_URL") && fresh.includes("PULUMI_CONFIG_PASSPHRASE_FILE"), fresh.join(" "));
        assert.ok(
            !formatShellSettings(shellSettings(testContext({ PATH: "/usr/bin" }))).includes("PULUMI_CONFIG_PASSPHRASE="),
            "the passphrase itself is never printed",
        );
    });
});
