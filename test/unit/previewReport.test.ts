import * as assert from "assert";
import { PinnedError } from "../../core/errors";
import { PreviewPlan } from "../../pipeline/workflow/preview";
import {
    formatPreviewErrorMarkdown,
    formatPreviewMarkdown,
    formatPreviewText,
    isBookkeeping,
    MARKDOWN_MARKER,
} from "../../cli/ui/previewReport";
import { BASE, COMMIT, finding, NEW, OLD, plan } from "../support/previewPlan";

describe("pinned preview", () => {
    it("text: recipe, base, commit, policy, before and after with full digests", () => {
        const text = formatPreviewText(plan(), "change");
        assert.match(text, /^preview of release 2026-12-04-001 → Deployment default\/pinned-app$/m);
        assert.match(text, /^ {2}recipe {2}app\/Dockerfile$/m);
        assert.ok(text.includes(`  base    ${BASE}`));
        assert.ok(text.includes(`  commit  ${COMMIT}`));
        assert.ok(text.includes(`  before  ${OLD} (live, release 2026-11-27-001)`));
        assert.ok(
            text.includes(
                `  after   ${NEW} (built and pushed by this preview in 12s; pinned up rebuilds it bit for bit: the release ships this sha256)`,
            ),
            text,
        );
        assert.match(text, /^change: the release changes what runs$/m);
    });

    it("text and markdown: each resource's operation and changed properties, old → new", () => {
        const engine = {
            basis: "the live release 2026-11-27-001's state, refreshed from the cluster",
            errors: [],
            warnings: [],
            changes: [
                {
                    op: "update" as const,
                    urn: "urn:x",
                    kind: "Deployment",
                    name: "default/pinned-app",
                    properties: [
                        { path: "spec.replicas", kind: "update" as const, before: "1", after: "2" },
                        { path: "spec.template.spec.containers[0].image", kind: "update" as const, before: OLD, after: NEW },
                    ],
                },
                { op: "create" as const, urn: "urn:y", kind: "ConfigMap", name: "default/extra", properties: [] },
            ],
        };
        const p = { ...plan(), engine };
        const text = formatPreviewText(p, "change");
        assert.ok(
            text.includes(
                "engine preview of stack 2026-12-04-001 (against the live release 2026-11-27-001's state, refreshed from the cluster):",
            ),
            text,
        );
        assert.ok(text.includes("  ~ update Deployment default/pinned-app\n      spec.replicas: 1 → 2\n"), text);
        assert.ok(text.includes(`      spec.template.spec.containers[0].image: ${OLD} → ${NEW}`), text);
        assert.ok(text.includes("  + create ConfigMap default/extra"), text);
        const md = formatPreviewMarkdown(p, "change");
        assert.ok(md.includes("| Resource | Operation | Property | Before | After |"), md);
        assert.ok(md.includes("| Deployment `default/pinned-app` | update | `spec.replicas` | `1` | `2` |"), md);
        assert.ok(md.includes(`|  |  | \`spec.template.spec.containers[0].image\` | \`${OLD}\` | \`${NEW}\` |`), md);
        assert.ok(md.includes("| ConfigMap `default/extra` | create | | | |"), md);
        assert.match(formatPreviewMarkdown({ ...plan(), engine: { ...engine, changes: [] } }, "no-change"), /\nNo changes\.\n/);
    });

    it("markdown: what changes how the app runs leads; labels and annotations every release rewrites are folded away", () => {
        const prop = (path: string, before: string, after: string) => ({ path, kind: "update" as const, before, after });
        const engine = {
            basis: "the live release 2026-11-27-001's state, refreshed from the cluster",
            errors: [],
            warnings: [],
            changes: [
                {
                    op: "update" as const,
                    urn: "urn:d",
                    kind: "Deployment",
                    name: "default/pinned-app",
                    properties: [
                        prop("metadata.annotations.pinned/commit", "aaa", "bbb"),
                        prop("metadata.labels.pinned/release", "2026-11-27-001", "2026-12-04-001"),
                        prop("spec.template.metadata.annotations.pinned/commit", "aaa", "bbb"),
                        prop("spec.template.spec.containers[0].image", OLD, NEW),
                    ],
                },
                {
                    op: "update" as const,
                    urn: "urn:s",
                    kind: "Service",
                    name: "default/pinned-app",
                    properties: [prop("metadata.labels.pinned/release", "2026-11-27-001", "2026-12-04-001")],
                },
            ],
        };
        const md = formatPreviewMarkdown({ ...plan(), engine }, "change");
        const [lead, folded] = md.split("<details>");
        assert.ok(
            lead.includes(
                `| Deployment \`default/pinned-app\` | update | \`spec.template.spec.containers[0].image\` | \`${OLD}\` | \`${NEW}\` |`,
            ),
            md,
        );
        assert.ok(!/pinned\/commit|pinned\/release|Service/.test(lead.slice(lead.indexOf("**Engine preview**"))), lead);
        assert.ok(folded.includes("<summary>Bookkeeping: 4 label and annotation change(s) on 2 object(s)"), md);
        assert.ok(folded.includes("| Service `default/pinned-app` | update | `metadata.labels.pinned/release` |"), md);
        assert.ok(folded.includes("</details>"));
        assert.ok(isBookkeeping("metadata.labels.app") && isBookkeeping("spec.template.metadata.annotations.x"));
        assert.ok(!isBookkeeping("spec.replicas") && !isBookkeeping("spec.template.spec.containers[0].ports[0].containerPort"));
    });

    it("text: says why a digest is not known, and lists the findings", () => {
        const text = formatPreviewText(
            plan({
                findings: [finding("error")],
                digest: undefined,
                unknownBecause: "the recipe breaks the pinning policy (findings below), so it was not built",
            }),
            "error",
        );
        assert.match(text, /after {3}not known yet: the recipe breaks the pinning policy/);
        assert.match(text, /^ {4}app\/Dockerfile:1: base-no-digest: \[error\] base has no digest — pin it$/m);
        assert.match(text, /^error: this release would fail$/m);
    });

    it("markdown: marker first, before → after table with both digests, image facts", () => {
        const md = formatPreviewMarkdown(plan(), "change");
        assert.strictEqual(md.split("\n")[0], MARKDOWN_MARKER);
        assert.ok(md.includes(`| Before | \`${OLD}\` (live, release 2026-11-27-001) |`), md);
        assert.ok(
            md.includes(
                `| After | \`${NEW}\` (built and pushed by this preview in 12s; pinned up rebuilds it bit for bit: the release ships this sha256) |`,
            ),
            md,
        );
        assert.ok(md.includes(`| Commit | \`${COMMIT}\` |`));
        assert.ok(md.includes(`| Base image | \`${BASE}\` |`));
        assert.match(md, /\| Policy \| ✅ no findings \|/);
        assert.match(md, /\*\*change\*\*: the release changes what runs/);
    });

    it("after: says whether pinned up will ship that digest, and when the build was reused", () => {
        const unreleased = { ...plan(), release: undefined };
        assert.match(
            formatPreviewText(unreleased, "change"),
            /\(built and pushed by this preview in 12s; a release of this commit is built under its own name\)/,
        );
        const reused = plan();
        const text = formatPreviewText(
            { ...reused, image: { ...(reused.image as Extract<PreviewPlan["image"], { kind: "build" }>), reused: true } },
            "change",
        );
        assert.match(
            text,
            /\(already in the registry from an identical build; pinned up rebuilds it bit for bit: the release ships this sha256\)/,
        );
        const docker = formatPreviewText(
            { ...reused, image: { ...(reused.image as Extract<PreviewPlan["image"], { kind: "build" }>), reproducible: false } },
            "change",
        );
        assert.match(docker, /pinned up builds and signs the release's own image \(the Docker builder's differs per build\)/);
    });

    it("markdown: a recorded release shows no build; findings go in a code block", () => {
        assert.match(
            formatPreviewMarkdown(plan({ recorded: true }), "change"),
            /\| Build \| none: release 2026-12-04-001 recorded its digest \|/,
        );
        const md = formatPreviewMarkdown(plan({ findings: [finding("warning")] }), "change");
        assert.match(md, /\| Policy \| ⚠️ 1 finding\(s\) \|/);
        assert.match(md, /```\napp\/Dockerfile:1: base-no-digest: \[warning\]/);
    });

    it("markdown: the before side falls back to the newest recorded release, saying why", () => {
        const md = formatPreviewMarkdown(
            plan({
                before: { digest: OLD, release: "2026-11-27-001", source: "recorded", note: "no cluster to read (no cluster configured)" },
            }),
            "change",
        );
        assert.ok(
            md.includes(`| Before | \`${OLD}\` (newest recorded release 2026-11-27-001; no cluster to read (no cluster configured)) |`),
            md,
        );
    });

    it("markdown: a table cell never breaks on a pipe or newline", () => {
        const md = formatPreviewMarkdown(plan({ digest: undefined, unknownBecause: "no registry | x\ny" }), "change");
        assert.match(md, /\| After \| not known yet: no registry \\\| x y \|/);
    });

    it("markdown: a refused preview is a comment too, with the fix", () => {
        const md = formatPreviewErrorMarkdown(new PinnedError("the working tree has uncommitted changes (app/x)", "commit or stash them"));
        assert.strictEqual(md.split("\n")[0], MARKDOWN_MARKER);
        assert.match(md, /Pinned preview failed/);
        assert.match(md, /\*\*Fix:\*\* commit or stash them/);
    });

    it("a re-pinned base shows as a base change in text and Markdown; the same base shows no such row", () => {
        const OLD_BASE = BASE.replace(/d{64}$/, "e".repeat(64));
        const moved = plan({ before: { digest: OLD, release: "2026-11-27-001", source: "live", base: OLD_BASE } });
        assert.match(
            formatPreviewText(moved, "change"),
            new RegExp(
                `^ {2}base was +${OLD_BASE.replace(/[.]/g, "\\.")} \\(the image before was built on it: this change moves the base\\)$`,
                "m",
            ),
        );
        assert.ok(formatPreviewMarkdown(moved, "change").includes(`| Base before | \`${OLD_BASE}\` (🔁 this change moves the base) |`));
        const same = plan({ before: { digest: OLD, release: "2026-11-27-001", source: "live", base: BASE } });
        assert.doesNotMatch(formatPreviewText(same, "change"), /base was/);
        assert.doesNotMatch(formatPreviewMarkdown(same, "change"), /Base before/);
    });
});
