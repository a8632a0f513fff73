import * as assert from "assert";
import { PinnedError } from "../../core/errors";
import { chooseRollbackTarget } from "../../pipeline/workflow/rollback";
import { ReleaseRecord } from "../../pipeline/project/stackFile";

const digest = (c: string) => `127.0.0.1:5000/pinned/app@sha256:${c.repeat(64)}`;
const record = (release: string, imageDigest?: string): ReleaseRecord => ({
    release,
    file: `stacks/Pulumi.${release}.yaml`,
    commit: "1".repeat(40),
    imageDigest,
    config: {},
});

/** The refusal's problem text; fails when nothing was refused. */
function refusal(fn: () => unknown): string {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof PinnedError, String(err));
        assert.ok(err.fix.length > 0, "every refusal names a fix");
        return err.problem;
    }
    assert.fail("expected a refusal");
}

describe("pinned rollback: choosing the release", () => {
    const records = [
        record("2026-11-01-001", digest("a")),
        record("2026-11-08-001"), // never deployed successfully
        record("2026-11-15-001", digest("c")),
        record("2026-11-22-001", digest("d")),
    ];

    it("defaults to the newest release older than the live one", () => {
        const t = chooseRollbackTarget(records, { image: digest("d"), release: "2026-11-22-001" });
        assert.strictEqual(t.release, "2026-11-15-001");
        assert.strictEqual(t.record.imageDigest, digest("c"));
    });

    it("skips an older release that never recorded a digest", () => {
        const t = chooseRollbackTarget(records, { image: digest("c"), release: "2026-11-15-001" });
        assert.strictEqual(t.release, "2026-11-01-001");
    });

    it("--to picks any release, newer ones too", () => {
        assert.strictEqual(
            chooseRollbackTarget(records, { image: digest("a"), release: "2026-11-01-001" }, "2026-11-22-001").release,
            "2026-11-22-001",
        );
    });

    it("refuses a release with no recorded digest", () => {
        assert.match(
            refusal(() => chooseRollbackTarget(records, { image: digest("d"), release: "2026-11-22-001" }, "2026-11-08-001")),
            /release 2026-11-08-001 has no recorded digest/,
        );
    });

    it("refuses a release with no stack file, listing the known ones", () => {
        const problem = refusal(() => chooseRollbackTarget(records, { image: digest("d"), release: "2026-11-22-001" }, "2026-10-01-001"));
        assert.match(problem, /2026-10-01-001 has no stack file/);
        assert.match(problem, /2026-11-01-001, 2026-11-08-001, 2026-11-15-001, 2026-11-22-001/);
    });

    it("refuses an invalid release name", () => {
        assert.match(
            refusal(() => chooseRollbackTarget(records, { image: digest("d") }, "latest")),
            /latest/,
        );
    });

    it("refuses when nothing older recorded a digest", () => {
        assert.match(
            refusal(() => chooseRollbackTarget(records, { image: digest("a"), release: "2026-11-01-001" })),
            /no release before the live one \(2026-11-01-001\)/,
        );
    });

    it("refuses a default rollback when the live Deployment names no release", () => {
        assert.match(
            refusal(() => chooseRollbackTarget(records, { image: digest("d") })),
            /no pinned\/release annotation/,
        );
    });

    it("refuses a stack file without a commit", () => {
        const broken = [{ ...record("2026-11-01-001", digest("a")), commit: undefined }, record("2026-11-22-001", digest("d"))];
        assert.match(
            refusal(() => chooseRollbackTarget(broken, { image: digest("d"), release: "2026-11-22-001" })),
            /records no pinned:commit/,
        );
    });
});
