import fc from "fast-check";

/** Release names on real calendar dates: yyyy-mm-dd-NNN. */
export function arbitraryReleaseName(): fc.Arbitrary<string> {
    return fc
        .tuple(
            fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true }),
            fc.integer({ min: 0, max: 999 }),
        )
        .map(([d, n]) => `${d.toISOString().slice(0, 10)}-${String(n).padStart(3, "0")}`);
}

export const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
