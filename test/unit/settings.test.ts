import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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
            registryPullUser: undefined,
            repository: DEFAULTS.repository,
            appDir: "/p/app",
            appName: "pinned-app",
            namespace: "default",
            port: 8080,
            replicas: 1,
            resources: { cpuRequest: "50m", cpuLimit: "500m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
            progressDeadlineSeconds: 120,
            strictPolicy: true,
            builder: "buildah",
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
        assert.strictEqual(resolveSettings({ "pinned:renderYamlTo": "/p/r" }, { PINNED_RENDER_YAML_TO: "out" }, "/p").renderYamlTo, "/p/r");
    });

    it("reads sizes in cores, millicores and binary or decimal bytes, and the progress deadline", () => {
        const s = resolveSettings(
            {
                "pinned:cpuRequest": "0.25",
                "pinned:cpuLimit": "1",
                "pinned:memoryRequest": "100M",
                "pinned:memoryLimit": "1Gi",
                "pinned:progressDeadlineSeconds": "30",
            },
            {},
            "/p",
        );
        assert.deepStrictEqual(s.resources, { cpuRequest: "0.25", cpuLimit: "1", memoryRequest: "100M", memoryLimit: "1Gi" });
        assert.strictEqual(s.progressDeadlineSeconds, 30);
    });

    const bad: Array<[string, Record<string, string>, RegExp]> = [
        ["a short commit", { "pinned:commit": "532aa0f" }, /pinned:commit is "532aa0f", not a full 40-hex commit hash/],
        ["a tag recorded as the digest", { "pinned:imageDigest": "127.0.0.1:5000/pinned/app:1" }, /^pinned:imageDigest: .*no digest/],
        ["replicas that are not a number", { "pinned:replicas": "two" }, /pinned:replicas is "two", not a whole number from 0 to 1000/],
        ["a port out of range", { "pinned:port": "70000" }, /pinned:port is "70000", not a whole number from 1 to 65535/],
        ["a policy level that is not a boolean", { "pinned:strictPolicy": "yes" }, /pinned:strictPolicy is "yes", neither true nor false/],
        [
            "a CPU request that is not a quantity",
            { "pinned:cpuRequest": "half" },
            /pinned:cpuRequest is "half", not a positive Kubernetes quantity/,
        ],
        ["a memory limit with an unknown unit", { "pinned:memoryLimit": "128MB" }, /pinned:memoryLimit is "128MB", not a positive/],
        ["a zero memory request", { "pinned:memoryRequest": "0" }, /pinned:memoryRequest is "0", not a positive/],
        [
            "a CPU request above its limit",
            { "pinned:cpuRequest": "2", "pinned:cpuLimit": "500m" },
            /pinned:cpuRequest \(2\) is above pinned:cpuLimit \(500m\)/,
        ],
        [
            "a memory request above its limit",
            { "pinned:memoryRequest": "1Gi" },
            /pinned:memoryRequest \(1Gi\) is above pinned:memoryLimit \(128Mi\)/,
        ],
        [
            "a progress deadline too short to start a pod",
            { "pinned:progressDeadlineSeconds": "3" },
            /progressDeadlineSeconds is "3", not a whole number from 10 to 3600/,
        ],
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

describe("a preview's temporary project", () => {
    it("links to the project's own app directory: accepted as inside (PINNED_PROJECT_MIRROR)", () => {
        const real = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-real-"));
        fs.mkdirSync(path.join(real, "app"));
        const temp = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-mirror-"));
        fs.symlinkSync(path.join(real, "app"), path.join(temp, "app"));
        const settings = resolveSettings({ "pinned:registry": "127.0.0.1:5000" }, { PINNED_PROJECT_MIRROR: real }, temp);
        assert.strictEqual(settings.appDir, path.join(temp, "app"));
        assert.throws(() => resolveSettings({ "pinned:registry": "127.0.0.1:5000" }, {}, temp), /leads through a symbolic link/);
    });
});
