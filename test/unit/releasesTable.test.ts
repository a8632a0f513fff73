import * as assert from "assert";
import { formatReleases } from "../../cli/ui/releasesTable";
import { releaseRows } from "../../pipeline/workflow/releases";

const D1 = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
const D2 = `127.0.0.1:5000/pinned/app@sha256:${"b".repeat(64)}`;

describe("pinned releases table", () => {
    const records = [
        { release: "2026-11-27-001", file: "x", commit: "1".repeat(40), imageDigest: D1, config: {} },
        { release: "2026-12-04-001", file: "y", commit: "2".repeat(40), imageDigest: D2, config: {} },
        { release: "2026-12-05-001", file: "z", commit: "3".repeat(40), config: {} },
    ];

    it("prints an aligned table with short commits and digests", () => {
        const text = formatReleases(releaseRows(records, new Map(), { image: D1, release: "2026-11-27-001" }));
        const lines = text.split("\n");
        assert.match(lines[0], /^RELEASE\s+COMMIT\s+DIGEST\s+DEPLOYED AT\s+VERIFIED\s+SIGNED\s+LIVE$/);
        assert.match(lines[1], /^2026-11-27-001\s+111111111111\s+sha256:aaaaaaaaaaaa\s+-\s+-\s+-\s+\*$/);
        assert.match(lines[3], /\(not built\)/);
        assert.strictEqual(
            new Set(lines.map((l) => (l.indexOf("COMMIT") >= 0 ? l.indexOf("COMMIT") : l.indexOf(l.split(/\s+/)[1])))).size,
            1,
        );
    });
});
