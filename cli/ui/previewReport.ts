import { formatFinding } from "../../core/policy/finding";
import { PinnedError } from "../../core/errors";
import { ChangeOp } from "../../pipeline/engine/diff";
import { PreviewOutcome, PreviewPlan } from "../../pipeline/workflow/preview";

/** The hidden first line by which a CI job finds its earlier comment to update. */
export const MARKDOWN_MARKER = "<!-- pinned-preview -->";

const LABEL: Record<PreviewOutcome, string> = { "no-change": "no change", change: "change", error: "error" };
const VERDICT: Record<PreviewOutcome, string> = {
    "no-change": "nothing would change",
    change: "the release changes what runs",
    error: "this release would fail",
};

const OP_SIGN: Record<ChangeOp, string> = { create: "+", update: "~", replace: "+-", delete: "-" };

/** The engine's preview, as text lines: one per resource change and per changed property. */
function engineLines(plan: PreviewPlan): string[] {
    const e = plan.engine;
    if (!e) {
        return [];
    }
    const lines = [`engine preview of stack ${plan.stack} (against ${e.basis}):`];
    for (const c of e.changes) {
        lines.push(`  ${OP_SIGN[c.op]} ${c.op} ${c.kind} ${c.name}`);
        for (const p of c.properties) {
            lines.push(`      ${p.path}: ${p.before ?? "(none)"} → ${p.after ?? "(none)"}`);
        }
    }
    if (e.changes.length === 0 && e.errors.length === 0) {
        lines.push("  no changes");
    }
    lines.push(...e.errors.map((m) => `  error: ${m}`));
    return lines;
}

/**
 * Bookkeeping: a label or an annotation (the commit, the release, the
 * provider's own) that every release writes on every object it manages.
 * It changes with each release and says nothing about how the app behaves.
 */
export function isBookkeeping(path: string): boolean {
    return /(^|\.)(labels|annotations)(\.|\[|$)/.test(path);
}

/** A change and the properties of it one table shows. */
type Row = { readonly change: PreviewChange; readonly properties: PreviewChange["properties"] };
type PreviewChange = NonNullable<PreviewPlan["engine"]>["changes"][number];

function changeTable(rows: readonly Row[]): string[] {
    const out = ["| Resource | Operation | Property | Before | After |", "|---|---|---|---|---|"];
    for (const { change: c, properties } of rows) {
        const resource = `${c.kind} ${code(c.name)}`;
        if (properties.length === 0) {
            out.push(`| ${resource} | ${c.op} | | | |`);
        }
        properties.forEach((p, i) => {
            const value = (v?: string) => (v === undefined ? "" : code(cell(v)));
            out.push(`| ${i === 0 ? resource : ""} | ${i === 0 ? c.op : ""} | ${code(p.path)} | ${value(p.before)} | ${value(p.after)} |`);
        });
    }
    return out;
}

/**
 * The engine's preview as Markdown: first a table of what changes how the
 * app runs (the image, replicas, ports, probes, resources; objects made,
 * replaced or deleted), then, folded, the bookkeeping every release
 * rewrites on every object (labels and annotations).
 */
function engineMarkdown(plan: PreviewPlan): string[] {
    const e = plan.engine;
    if (!e) {
        return [];
    }
    const out = ["", `**Engine preview** of stack ${code(plan.stack)}, against ${cell(e.basis)}:`, ""];
    if (e.changes.length === 0 && e.errors.length === 0) {
        out.push("No changes.");
    } else if (e.changes.length > 0) {
        const behaviour: Row[] = [];
        const bookkeeping: Row[] = [];
        for (const change of e.changes) {
            const kept = change.properties.filter((p) => !isBookkeeping(p.path));
            const folded = change.properties.filter((p) => isBookkeeping(p.path));
            // A resource made, replaced or deleted changes what runs, whatever its properties.
            if (change.op !== "update" || kept.length > 0 || change.properties.length === 0) {
                behaviour.push({ change, properties: change.op === "update" ? kept : change.properties });
            }
            if (change.op === "update" && folded.length > 0) {
                bookkeeping.push({ change, properties: folded });
            }
        }
        out.push(
            ...(behaviour.length > 0 ? changeTable(behaviour) : ["Nothing that changes how the app runs: labels and annotations only."]),
        );
        if (bookkeeping.length > 0) {
            const count = bookkeeping.reduce((n, r) => n + r.properties.length, 0);
            out.push(
                "",
                "<details>",
                `<summary>Bookkeeping: ${count} label and annotation change(s) on ${bookkeeping.length} object(s) (the commit and release every object carries)</summary>`,
                "",
                ...changeTable(bookkeeping),
                "",
                "</details>",
            );
        }
    }
    if (e.errors.length > 0) {
        out.push("", "```", ...e.errors, "```");
    }
    return out;
}

function subject(plan: PreviewPlan): string {
    return plan.release
        ? `release ${plan.release}`
        : `commit ${plan.commit.slice(0, 12)} (not released yet; previewed as the next release, ${plan.stack})`;
}

/** A side of the before → after: the digest when known, and how it is known. */
interface Side {
    readonly digest?: string;
    readonly note: string;
}

function before(plan: PreviewPlan): Side {
    const b = plan.before;
    if (!b.digest) {
        return { note: `nothing${b.note ? ` (${b.note})` : ""}` };
    }
    const note =
        b.source === "live"
            ? `live${b.release ? `, release ${b.release}` : ""}${b.note ? `; ${b.note}` : ""}`
            : `newest recorded release ${b.release}${b.note ? `; ${b.note}` : ""}`;
    return { digest: b.digest, note };
}

function after(plan: PreviewPlan): Side {
    const i = plan.image;
    if (i.kind === "recorded") {
        return { digest: i.digest, note: `recorded for ${plan.release}: no build` };
    }
    if (i.digest) {
        const how = i.reused
            ? "already in the registry from an identical build"
            : `built and pushed by this preview${i.buildSeconds !== undefined ? ` in ${i.buildSeconds}s` : ""}`;
        // pinned up never reuses a preview's image (it is not signed by the
        // release key); it builds its own, which buildah makes bit for bit.
        const release = i.reproducible
            ? "pinned up rebuilds it bit for bit: the release ships this sha256"
            : "pinned up builds and signs the release's own image (the Docker builder's differs per build)";
        return {
            digest: i.digest,
            note: plan.release ? `${how}; ${release}` : `${how}; a release of this commit is built under its own name`,
        };
    }
    return { note: `not known yet: ${i.unknownBecause}` };
}

function sideText(side: Side): string {
    return side.digest ? `${side.digest} (${side.note})` : side.note;
}

/** The base the image before was built on, when the recipe now pins another. */
function baseMove(plan: PreviewPlan): string | undefined {
    const i = plan.image;
    const was = plan.before.base;
    return i.kind === "build" && was && i.finalBase && was !== i.finalBase ? was : undefined;
}

/** The plain-text preview, for a terminal or a CI log. */
export function formatPreviewText(plan: PreviewPlan, outcome: PreviewOutcome): string {
    const rows: Array<[string, string]> = [];
    const i = plan.image;
    if (i.kind === "build") {
        rows.push(["recipe", i.recipe], ["base", i.baseImages.join(", ") || "(none)"]);
        const moved = baseMove(plan);
        if (moved) {
            rows.push(["base was", `${moved} (the image before was built on it: this change moves the base)`]);
        }
        rows.push(["commit", plan.commit], ["image", i.imageName]);
        rows.push(["policy", i.findings.length === 0 ? "no findings" : `${i.findings.length} finding(s)`]);
    } else {
        rows.push(["commit", plan.commit]);
    }
    rows.push(["before", sideText(before(plan))], ["after", sideText(after(plan))]);
    const width = Math.max(...rows.map(([k]) => k.length));
    const lines = [`preview of ${subject(plan)} → Deployment ${plan.deployment}`];
    for (const [k, v] of rows) {
        lines.push(`  ${k.padEnd(width)}  ${v}`);
        if (k === "policy" && i.kind === "build") {
            lines.push(...i.findings.map((f) => `    ${formatFinding(f)}`));
        }
    }
    lines.push(...engineLines(plan));
    lines.push(`${LABEL[outcome]}: ${VERDICT[outcome]}`);
    return lines.join("\n");
}

/** `code` that survives a backtick inside it. */
function code(text: string): string {
    return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A pull-request comment body: the same facts as the text, as tables. */
export function formatPreviewMarkdown(plan: PreviewPlan, outcome: PreviewOutcome): string {
    const icon = { "no-change": "⚪", change: "🔵", error: "🔴" }[outcome];
    const i = plan.image;
    const out = [
        MARKDOWN_MARKER,
        `### ${icon} Pinned preview: ${subject(plan)}`,
        "",
        `**${LABEL[outcome]}**: ${VERDICT[outcome]} (Deployment ${code(plan.deployment)})`,
    ];
    out.push(...engineMarkdown(plan), "");
    out.push("| Deployment image | |", "|---|---|");
    const sideCell = (side: Side) => (side.digest ? `${code(side.digest)} (${cell(side.note)})` : cell(side.note));
    out.push(`| Before | ${sideCell(before(plan))} |`, `| After | ${sideCell(after(plan))} |`);
    out.push("", "| Image | |", "|---|---|", `| Commit | ${code(plan.commit)} |`);
    if (i.kind === "build") {
        out.push(`| Recipe | ${code(i.recipe)} |`);
        out.push(`| Base image | ${i.baseImages.map(code).join("<br>") || "(none)"} |`);
        const moved = baseMove(plan);
        if (moved) {
            out.push(`| Base before | ${code(moved)} (🔁 this change moves the base) |`);
        }
        out.push(`| Tag | ${code(i.imageName)} |`);
        const mark = i.findings.some((f) => f.severity === "error") ? "❌" : "⚠️";
        out.push(`| Policy | ${i.findings.length === 0 ? "✅ no findings" : `${mark} ${i.findings.length} finding(s)`} |`);
        if (i.findings.length > 0) {
            out.push("", "```", ...i.findings.map(formatFinding), "```");
        }
    } else {
        out.push(`| Build | none: ${cell(`release ${plan.release}`)} recorded its digest |`);
    }
    return out.join("\n");
}

/** A failed preview as a comment body, so the pull request shows why. */
export function formatPreviewErrorMarkdown(err: PinnedError): string {
    return [MARKDOWN_MARKER, "### 🔴 Pinned preview failed", "", cell(err.problem), "", `**Fix:** ${cell(err.fix)}`].join("\n");
}
