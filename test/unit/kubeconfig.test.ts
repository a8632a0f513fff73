import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../core/errors";
import { checkedKubeconfig, commandsIn } from "../../core/kubeconfig";
import { kubeconfig } from "../support/kubeconfig";

describe("a stack file's kubeconfig that runs commands", () => {
    const dir = os.tmpdir();
    it("finds exec plugins and auth providers, by user", () => {
        assert.deepStrictEqual(commandsIn(kubeconfig("https://x", { exec: { command: "/tmp/x.sh", apiVersion: "v1" } })), [
            "user alice: exec plugin /tmp/x.sh",
        ]);
        assert.deepStrictEqual(commandsIn(kubeconfig("https://x", { "auth-provider": { name: "oidc" } })), [
            "user alice: auth provider oidc",
        ]);
        assert.deepStrictEqual(commandsIn(kubeconfig("https://x")), []);
        assert.deepStrictEqual(commandsIn("not: [yaml"), []);
    });

    it("is refused, as contents or as a file, unless allowed in the environment", () => {
        const runs = kubeconfig("https://x", { exec: { command: "/tmp/x.sh", apiVersion: "v1" } });
        const file = path.join(fs.mkdtempSync(path.join(dir, "pinned-kc-")), "kubeconfig");
        fs.writeFileSync(file, runs);
        for (const value of [runs, file]) {
            assert.throws(
                () => checkedKubeconfig(value, {}, dir),
                (err: unknown) =>
                    err instanceof ConfigError &&
                    err.problem.includes("pinned:kubeconfig runs commands on this machine (user alice: exec plugin /tmp/x.sh)") &&
                    err.fix.includes("PINNED_ALLOW_KUBECONFIG_COMMANDS=1 in your own environment"),
            );
            assert.strictEqual(checkedKubeconfig(value, { PINNED_ALLOW_KUBECONFIG_COMMANDS: "1" }, dir), value);
        }
        assert.strictEqual(checkedKubeconfig(kubeconfig("https://x"), {}, dir), kubeconfig("https://x"));
        assert.throws(
            () => checkedKubeconfig("/no/such/kubeconfig", {}, dir),
            /pinned:kubeconfig names \/no\/such\/kubeconfig, which does not exist/,
        );
    });
});
