import { InvalidInputError } from "../errors";

/**
 * A release name: `yyyy-mm-dd-NNN`, a real calendar date followed by a
 * three-digit sequence number for that day (`2026-11-27-001`).
 *
 * The same string is the git tag, the container tag and the Pulumi stack
 * name of the release, so it must be valid as all three — the pattern below
 * is a strict subset of each.
 */
export type ReleaseName = string & { readonly __brand: "ReleaseName" };

const RELEASE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})-(\d{3})$/;

export const RELEASE_FORM = "yyyy-mm-dd-NNN (a real date and a 3-digit number, e.g. 2026-11-27-001)";

/** True when `value` looks like a release name and its date exists. */
export function isReleaseName(value: string): value is ReleaseName {
    const m = RELEASE_PATTERN.exec(value);
    if (!m) {
        return false;
    }
    return isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Validates a release name, or throws an error that shows the accepted form. */
export function parseReleaseName(value: string): ReleaseName {
    if (isReleaseName(value)) {
        return value;
    }
    const m = RELEASE_PATTERN.exec(value);
    const problem = m
        ? `"${value}" is not a release name: ${m[1]}-${m[2]}-${m[3]} is not a date on the calendar.`
        : `"${value}" is not a release name.`;
    throw new InvalidInputError(problem, `name releases ${RELEASE_FORM}.`);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
    if (year < 1970 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    // Day 0 of the next month is the last day of this one (UTC avoids DST).
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return day <= daysInMonth;
}

/** A valid OCI/Docker tag: https://github.com/distribution/reference grammar. */
export const CONTAINER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Pulumi stack names allow letters, digits, `-`, `_` and `.`. */
export const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * The name the next release made on `day` gets: that date with the first
 * number no existing name uses (`2026-11-28-001`, then `-002`, …).
 */
export function nextReleaseName(existing: readonly string[], day: Date = new Date()): ReleaseName {
    const date = day.toISOString().slice(0, 10);
    const used = new Set(existing.filter((n) => n.startsWith(`${date}-`) && isReleaseName(n)).map((n) => Number(n.slice(11))));
    for (let n = 1; n <= 999; n++) {
        if (!used.has(n)) {
            return parseReleaseName(`${date}-${String(n).padStart(3, "0")}`);
        }
    }
    throw new InvalidInputError(`all 999 release numbers of ${date} are taken.`, "make the release tomorrow, or name it by hand.");
}
