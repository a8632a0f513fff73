import type { ReleaseRow } from "../../pipeline/workflow/releases";

/** A fixed-width table; short commit and digest, as people compare them. */
export function formatReleases(rows: ReleaseRow[]): string {
    const table = [["RELEASE", "COMMIT", "DIGEST", "DEPLOYED AT", "VERIFIED", "SIGNED", "LIVE"]];
    for (const r of rows) {
        table.push([
            r.release,
            r.commit?.slice(0, 12) ?? "-",
            r.digest ? r.digest.slice(r.digest.indexOf("@") + 1, r.digest.indexOf("@") + 20) : "(not built)",
            r.deployedAt ?? "-",
            r.verifiedAt ?? "-",
            r.signed ?? "-",
            r.live ? "*" : "",
        ]);
    }
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    return table
        .map((row) =>
            row
                .map((cell, i) => cell.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}
