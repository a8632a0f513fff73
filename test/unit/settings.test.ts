import * as assert from "assert";
import { ConfigError } from "../../core/errors";
import { DEFAULTS, resolveSettings } from "../../core/settings";

describe("settings resolver", () => {
    it("applies every default in one place, paths made absolute", () => {
        const s = resolveSettings({}, {}, "/p");
        assert.deepStrictEqual(s, {
            commit: undefined,
            imageDigest: undefined,
            registry: undefined,
            registryUser: undefined,
            repository: DEFAULTS.repository,
            appDir: "/p/app",
            appName: "pinned-app",
            namespace: "default",
            port: 8080,
            replicas: 1,
            strictPolicy: true,
            kubeconfig: undefined,
            renderYamlTo: undefined,
        });
    });

    it("reads stack values over the defaults, and the render directory from the environment when the stack names none", () => {
        const s = resolveSettings(
            { "pinned:app": "svc", "pinned:replicas": "3", "pinned:port": "9000", "pinned:strictPolicy": "false", "pinned:namespace": "" },
            { PINNED_RENDER_YAML_TO: "out" },
            "/p",
        );
        assert.deepStrictEqual(
            [s.appDir, s.replicas, s.port, s.strictPolicy, s.namespace, s.renderYamlTo],
            ["/p/svc", 3, 9000, false, "default", "/p/out"],
        );
        assert.strictEqual(resolveSettings({ "pinned:renderYamlTo": "/r" }, { PINNED_RENDER_YAML_TO: "out" }, "/p").renderYamlTo, "/r");
    });

    const bad: Array<[string, Record<string, string>, RegExp]> = [
        ["a short commit", { "pinned:commit": "532aa0f" }, /pinned:commit is "532aa0f", not a full 40-hex commit hash/],
        ["a tag recorded as the digest", { "pinned:imageDigest": "127.0.0.1:5000/pinned/app:1" }, /^pinned:imageDigest: .*no digest/],
        ["replicas that are not a number", { "pinned:replicas": "two" }, /pinned:replicas is "two", not a whole number from 0 to 1000/],
        ["a port out of range", { "pinned:port": "70000" }, /pinned:port is "70000", not a whole number from 1 to 65535/],
        ["a policy level that is not a boolean", { "pinned:strictPolicy": "yes" }, /pinned:strictPolicy is "yes", neither true nor false/],
    ];
    for (const [what, config, why] of bad) {
        it(`refuses ${what}, naming the key and the fix`, () => {
            assert.throws(
                () => resolveSettings(config, {}, "/p"),
                (e: unknown) => e instanceof ConfigError && why.test(e.problem) && /pulumi config set|give/.test(e.fix),
            );
        });
    }
});
