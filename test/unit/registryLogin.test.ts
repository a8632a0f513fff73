import * as assert from "assert";
import { ConfigError } from "../../core/errors";
import { bindPassword, defaultRegistry, parseBoundPassword, registryLogin } from "../../core/registryLogin";

const R = "2026-12-06-001";
const HOST = "127.0.0.1:5000";

describe("registry logins: passwords bound to their registry, the cluster's login pull-only", () => {
    it("a bound password carries its registry; any password survives the round trip, spaces and all", () => {
        for (const password of ["s3cret", "with spaces and registry= inside", "a\nb"]) {
            assert.deepStrictEqual(parseBoundPassword(bindPassword(HOST, password)), { registry: HOST, password });
        }
        assert.deepStrictEqual(parseBoundPassword("bare"), { password: "bare" });
    });

    it("a password bound to the stack's registry is used; one bound to another is refused naming both and the fix", () => {
        const base = { registry: HOST, registryUser: "pinned" };
        assert.strictEqual(registryLogin(R, { ...base, registryPassword: bindPassword(HOST, "pw") }, undefined, false).push.password, "pw");
        assert.throws(
            () => registryLogin(R, { ...base, registryPassword: bindPassword("127.0.0.1:5001", "pw") }, undefined, false),
            (e: unknown) =>
                e instanceof ConfigError &&
                e.problem.includes(`pinned:registryPassword was set for registry 127.0.0.1:5001, but pinned:registry is ${HOST}`) &&
                e.fix.includes(`npx pinned registry-password --release ${R}`),
        );
    });

    it("a bare password (from before binding) only as the known registry's own, for that registry", () => {
        const known = { server: HOST, username: "pinned", password: "pw" };
        const stack = { registry: HOST, registryUser: "pinned", registryPassword: "pw" };
        assert.strictEqual(registryLogin(R, stack, known, false).push.password, "pw");
        assert.throws(() => registryLogin(R, { ...stack, registryPassword: "other" }, known, false), /is not bound to a registry/);
        assert.throws(() => registryLogin(R, { ...stack, registry: "127.0.0.1:5001" }, known, false), /is not bound to a registry/);
    });

    it("a cluster release with a push login needs a whole pull-only login; an anonymous registry or rendered files need none", () => {
        const push = { registry: HOST, registryUser: "pinned", registryPassword: bindPassword(HOST, "pw") };
        assert.throws(() => registryLogin(R, push, undefined, true), /names no pull-only login for the cluster/);
        assert.throws(
            () => registryLogin(R, { ...push, registryPullUser: "puller" }, undefined, true),
            /pinned:registryPullPassword is not set/,
        );
        assert.deepStrictEqual(
            registryLogin(R, { ...push, registryPullUser: "puller", registryPullPassword: bindPassword(HOST, "pull") }, undefined, true)
                .pull,
            { username: "puller", password: "pull" },
        );
        assert.throws(
            () =>
                registryLogin(
                    R,
                    { ...push, registryPullUser: "puller", registryPullPassword: bindPassword("x.example", "pull") },
                    undefined,
                    true,
                ),
            /pinned:registryPullPassword was set for registry x\.example/,
        );
        assert.strictEqual(registryLogin(R, { registry: HOST }, undefined, true).pull, undefined);
        assert.strictEqual(registryLogin(R, push, undefined, false).pull, undefined);
    });

    it("the registry for new releases: PINNED_REGISTRY when set, else the embedded one", () => {
        assert.deepStrictEqual(
            defaultRegistry({
                PINNED_REGISTRY: "10.0.0.5:5000",
                PINNED_REGISTRY_USER: "ci",
                PINNED_REGISTRY_PASSWORD: "s",
                PINNED_REGISTRY_PULL_USER: "ci-pull",
                PINNED_REGISTRY_PULL_PASSWORD: "p",
            }),
            {
                server: "10.0.0.5:5000",
                username: "ci",
                password: "s",
                pullUsername: "ci-pull",
                pullPassword: "p",
            },
        );
        assert.deepStrictEqual(defaultRegistry({ PINNED_REGISTRY: "127.0.0.1:5001" }), {
            server: "127.0.0.1:5001",
            username: undefined,
            password: undefined,
            pullUsername: undefined,
            pullPassword: undefined,
        });
    });
});
