import * as assert from "assert";
import fc from "fast-check";
import { InvalidInputError } from "../../core/errors";
import { CONTAINER_TAG, isReleaseName, nextReleaseName, parseReleaseName, STACK_NAME } from "../../core/git/releaseName";
import { arbitraryReleaseName } from "../support/arbitraries";

describe("release names", () => {
    for (const ok of ["2026-11-27-001", "2024-02-29-999", "2000-02-29-000", "1970-01-01-001"]) {
        it(`accepts ${ok}`, () => assert.strictEqual(parseReleaseName(ok), ok));
    }
    const bad: Array<[string, RegExp]> = [
        ["2026-02-29-001", /not a date on the calendar/],
        ["1900-02-29-001", /not a date/],
        ["2026-04-31-001", /not a date/],
        ["2026-13-01-001", /not a date/],
        ["2026-00-10-001", /not a date/],
        ["2026-11-27", /not a release name/],
        ["2026-11-27-1", /not a release name/],
        ["2026-11-27-0001", /not a release name/],
        ["v2026-11-27-001", /not a release name/],
        ["2026/11/27-001", /not a release name/],
        ["", /not a release name/],
    ];
    for (const [value, why] of bad) {
        it(`refuses "${value}"`, () => {
            assert.throws(
                () => parseReleaseName(value),
                (e: unknown) => e instanceof InvalidInputError && why.test(e.problem) && /yyyy-mm-dd-NNN/.test(e.fix),
            );
        });
    }

    it("every valid release name is a valid container tag and stack name", () => {
        fc.assert(
            fc.property(arbitraryReleaseName(), (name) => {
                assert.ok(isReleaseName(name), name);
                assert.match(name, CONTAINER_TAG);
                assert.match(name, STACK_NAME);
            }),
        );
    });

    it("accepts exactly the dates Date.UTC round-trips", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1970, max: 2200 }),
                fc.integer({ min: 0, max: 13 }),
                fc.integer({ min: 0, max: 32 }),
                (y, m, d) => {
                    const name = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}-001`;
                    const date = new Date(Date.UTC(y, m - 1, d));
                    const real = m >= 1 && m <= 12 && d >= 1 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
                    assert.strictEqual(isReleaseName(name), real, name);
                },
            ),
        );
    });
});

describe("nextReleaseName", () => {
    const day = new Date("2026-11-28T15:00:00Z");
    it("takes the first free number of the day, ignoring other days and other tags", () => {
        assert.strictEqual(nextReleaseName([], day), "2026-11-28-001");
        assert.strictEqual(nextReleaseName(["2026-11-28-001", "2026-11-28-003", "2026-11-27-002", "v1.0"], day), "2026-11-28-002");
    });
    it("refuses when the day is full", () => {
        const all = Array.from({ length: 999 }, (_, i) => `2026-11-28-${String(i + 1).padStart(3, "0")}`);
        assert.throws(() => nextReleaseName(all, day), /all 999 release numbers of 2026-11-28 are taken/);
    });
});
