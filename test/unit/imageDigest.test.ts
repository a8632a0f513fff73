import * as assert from "assert";
import fc from "fast-check";
import { parseImageDigest, splitImageDigest } from "../../core/imageDigest";
import { InvalidInputError } from "../../core/errors";
import { hex64 } from "../support/arbitraries";

const D = `sha256:${"a1".repeat(32)}`;

describe("image digests", () => {
    for (const ok of [
        `127.0.0.1:5000/pinned/app@${D}`,
        `registry.example/team/app@${D}`,
        `app@${D}`,
        `localhost:5000/a/b/c@${D}`,
        `[::1]:5000/app@${D}`,
    ]) {
        it(`accepts ${ok.slice(0, 40)}…`, () => assert.strictEqual(parseImageDigest(ok), ok));
    }
    const bad: Array<[string, RegExp]> = [
        ["", /empty/],
        ["<none>@<none>", /empty/],
        ["  ", /empty/],
        ["127.0.0.1:5000/pinned/app:2026-11-27-001", /no digest/],
        ["app:latest", /no digest/],
        [`127.0.0.1:5000/pinned/app:1.0@${D}`, /tag as well as a digest/],
        [`app@sha256:${"a".repeat(63)}`, /not a sha256 digest/],
        [`app@sha256:${"A".repeat(64)}`, /not a sha256 digest/],
        [`app@sha512:${"a".repeat(128)}`, /not a sha256 digest/],
        [`App/Upper@${D}`, /not a valid image repository/],
        [`@${D}`, /not a valid image repository/],
    ];
    for (const [value, why] of bad) {
        it(`refuses "${value.slice(0, 50)}"`, () => {
            assert.throws(
                () => parseImageDigest(value),
                (e: unknown) => e instanceof InvalidInputError && why.test(e.problem),
            );
        });
    }

    const repository = fc
        .tuple(
            fc.constantFrom("", "127.0.0.1:5000/", "localhost:5000/", "registry.example.org/"),
            fc.array(fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)?$/), { minLength: 1, maxLength: 3 }),
        )
        .map(([host, path]) => `${host}${path.join("/")}`);

    it("round-trips any repository and sha256", () => {
        fc.assert(
            fc.property(repository, hex64, (repo, hex) => {
                const ref = `${repo}@sha256:${hex}`;
                assert.strictEqual(parseImageDigest(ref), ref);
                assert.deepStrictEqual(splitImageDigest(ref), { repository: repo, digest: `sha256:${hex}` });
            }),
        );
    });

    it("never accepts a reference that carries a tag instead of a digest", () => {
        fc.assert(
            fc.property(repository, fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), (repo, tag) => {
                assert.throws(() => parseImageDigest(`${repo}:${tag}`), InvalidInputError);
            }),
        );
    });
});
