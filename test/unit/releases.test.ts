import * as assert from "assert";
import { formatReleases } from "../../cli/ui/releasesTable";
import { releaseRows, signatures } from "../../pipeline/workflow/releases";
import { ConfigError } from "../../core/errors";

const D1 = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
const D2 = `127.0.0.1:5000/pinned/app@sha256:${"b".repeat(64)}`;

describe("pinned releases formatting", () => {
    const records = [
        { release: "2026-11-27-001", file: "x", commit: "1".repeat(40), imageDigest: D1, config: {} },
        { release: "2026-12-04-001", file: "y", commit: "2".repeat(40), imageDigest: D2, config: {} },
        { release: "2026-12-05-001", file: "z", commit: "3".repeat(40), config: {} },
    ];

    it("marks live only the release whose recorded digest the cluster runs", () => {
        const rows = releaseRows(records, new Map([["2026-11-27-001", "2026-11-27T10:00:00.000Z"]]), {
            image: D1,
            release: "2026-11-27-001",
        });
        assert.deepStrictEqual(
            rows.map((r) => r.live),
            [true, false, false],
        );
        assert.strictEqual(rows[0].deployedAt, "2026-11-27T10:00:00.000Z");
        // Drift: the annotation says A, the image is B's: nothing is "live" as recorded.
        const drifted = releaseRows(records, new Map(), { image: D2, release: "2026-11-27-001" });
        assert.deepStrictEqual(
            drifted.map((r) => r.live),
            [false, false, false],
        );
    });

    it("shows a release as verified only while its recorded digest is the one verify rebuilt", () => {
        const verified = (release: string, digest: string | undefined) =>
            release === "2026-12-04-001" && digest === D2 ? "2026-12-04T12:00:00.000Z" : undefined;
        const rows = releaseRows(records, new Map(), undefined, verified);
        assert.deepStrictEqual(
            rows.map((r) => r.verifiedAt),
            [undefined, "2026-12-04T12:00:00.000Z", undefined],
        );
        assert.match(formatReleases(rows).split("\n")[2], /^2026-12-04-001\s+2{12}\s+sha256:b{12}\s+-\s+2026-12-04T12:00:00\.000Z\s+-$/);
    });

    it("a stack whose registry login is refused is 'refused' in its row; the others are still checked, and no credential of it is used", async () => {
        const asked: string[] = [];
        const { signed, refusals } = await signatures(records, {
            registry: async (release) => {
                if (release === "2026-11-27-001") {
                    throw new ConfigError("pinned:registryPassword was set for registry a, but pinned:registry is b.", "put it back.");
                }
                return { server: "127.0.0.1:5000", username: "pinned", password: "pw" };
            },
            signed: async (digest) => {
                asked.push(digest);
                return true;
            },
        });
        assert.deepStrictEqual(
            [...signed],
            [
                ["2026-11-27-001", "refused"],
                ["2026-12-04-001", "yes"],
            ],
        );
        assert.deepStrictEqual(asked, [D2], "the refused release's image is not looked up");
        assert.deepStrictEqual(
            refusals.map((r) => r.problem),
            ["pinned:registryPassword was set for registry a, but pinned:registry is b."],
        );
    });

    it("looks up at most four signatures at once, and reports them and the refusals in the stack files' order", async () => {
        const many = Array.from({ length: 10 }, (_, i) => ({
            release: `2026-12-${String(i + 10)}-001`,
            file: `f${i}`,
            imageDigest: `127.0.0.1:5000/pinned/app@sha256:${String(i).repeat(64)}`,
            config: {},
        }));
        let running = 0;
        let most = 0;
        const { signed, refusals } = await signatures(many, {
            registry: async (release) => {
                if (release.endsWith("12-001") || release.endsWith("17-001")) {
                    throw new ConfigError(`refused ${release}`, "put it back.");
                }
                return { server: "127.0.0.1:5000" };
            },
            signed: async (digest) => {
                running++;
                most = Math.max(most, running);
                // Later images answer first.
                const i = Number(digest.slice(-1));
                await new Promise((resolve) => setTimeout(resolve, 40 - 4 * i));
                running--;
                return i % 2 === 0;
            },
        });
        assert.strictEqual(most, 4);
        assert.deepStrictEqual(
            [...signed.keys()],
            many.map((r) => r.release),
        );
        assert.deepStrictEqual([...signed.values()], ["yes", "no", "refused", "no", "yes", "no", "yes", "refused", "yes", "no"]);
        assert.deepStrictEqual(
            refusals.map((r) => r.problem),
            ["refused 2026-12-12-001", "refused 2026-12-17-001"],
        );
    });

    it("shows whether the release key signed each recorded image", () => {
        const rows = releaseRows(
            records,
            new Map(),
            undefined,
            undefined,
            new Map([
                ["2026-11-27-001", "yes"],
                ["2026-12-04-001", "no"],
            ]),
        );
        assert.deepStrictEqual(
            rows.map((r) => r.signed),
            ["yes", "no", undefined],
        );
        assert.match(formatReleases(rows).split("\n")[2], /^2026-12-04-001\s+2{12}\s+sha256:b{12}\s+-\s+-\s+no$/);
    });
});
