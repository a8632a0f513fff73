import * as assert from "assert";
import fc from "fast-check";
import { InvalidInputError } from "../../core/errors";
import { containerTagFor, parseGitRef } from "../../core/git/refTag";
import { CONTAINER_TAG } from "../../core/git/releaseName";
import { arbitraryReleaseName } from "../support/arbitraries";

describe("ref -> container tag", () => {
    const table: Array<[string, string]> = [
        ["develop", "latest"],
        ["refs/heads/develop", "latest"],
        ["feature/login", "feature-login"],
        ["refs/heads/feature/login-form", "feature-login-form"],
        ["feature/auth/oauth2", "feature-auth-oauth2"],
        ["release/2026-11-27-001", "2026-11-27-001-rc"],
        ["refs/heads/release/2024-02-29-010", "2024-02-29-010-rc"],
        ["2026-11-27-001", "2026-11-27-001"],
        ["refs/tags/2026-11-27-001", "2026-11-27-001"],
    ];
    for (const [ref, tag] of table) {
        it(`${ref} -> ${tag}`, () => assert.strictEqual(containerTagFor(ref), tag));
    }

    const refused = [
        "main",
        "master",
        "hotfix/x",
        "feature/",
        "feature/has space",
        "release/2026-02-30-001",
        "release/next",
        "refs/tags/v1.2.3",
        "refs/tags/2026-13-01-001",
        `feature/${"x".repeat(130)}`,
    ];
    for (const ref of refused) {
        it(`refuses ${ref.slice(0, 40)} and lists the accepted forms`, () => {
            assert.throws(
                () => containerTagFor(ref),
                (e: unknown) => e instanceof InvalidInputError && /release\/yyyy-mm-dd-NNN/.test(e.fix) && /feature\/NAME/.test(e.fix),
            );
        });
    }

    it("tells branches from tags", () => {
        assert.deepStrictEqual(parseGitRef("2026-11-27-001"), { kind: "tag", name: "2026-11-27-001" });
        assert.deepStrictEqual(parseGitRef("release/2026-11-27-001"), { kind: "branch", name: "release/2026-11-27-001" });
        assert.deepStrictEqual(parseGitRef("refs/tags/x"), { kind: "tag", name: "x" });
    });

    describe("properties", () => {
        it("every release tag maps to itself, its release branch to <release>-rc", () => {
            fc.assert(
                fc.property(arbitraryReleaseName(), (release) => {
                    assert.strictEqual(containerTagFor(`refs/tags/${release}`), release);
                    assert.strictEqual(containerTagFor(`release/${release}`), `${release}-rc`);
                }),
            );
        });

        it("every tag it produces is a valid container tag", () => {
            const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
            fc.assert(
                fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (parts) => {
                    const tag = containerTagFor(`feature/${parts.join("/")}`);
                    assert.match(tag, CONTAINER_TAG);
                    assert.strictEqual(tag, `feature-${parts.join("-")}`);
                }),
            );
        });

        it("either returns a valid container tag or throws InvalidInputError, for any string", () => {
            fc.assert(
                fc.property(fc.string(), (ref) => {
                    try {
                        assert.match(containerTagFor(ref), CONTAINER_TAG);
                    } catch (e) {
                        assert.ok(e instanceof InvalidInputError, String(e));
                    }
                }),
            );
        });
    });
});
