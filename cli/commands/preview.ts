import { PinnedError } from "../../core/errors";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";
import { formatPreviewErrorMarkdown, formatPreviewMarkdown, formatPreviewText } from "../ui/previewReport";
import { Progress } from "../ui/progress";

const spec: CommandSpec = {
    name: "preview",
    options: {
        release: { type: "string", value: "R", help: "the release to preview (default: the release tag at HEAD)" },
        markdown: { type: "boolean", help: "print a pull-request comment body" },
    },
    description: `Shows what pinned up would change, for a pull request or before a release:
the engine's preview of the release's stack against what runs now (each
resource's operation and changed properties, old → new), the Deployment's
image before → after, and the image's recipe, base, commit and policy
findings. A new image is built and pushed first, so its digest is real.
Without a release tag at HEAD, HEAD is previewed as the next release of
today. Nothing of yours changes: the engine runs on a temporary copy of the
stack. Exit codes: 0 no change, 3 changes, 1 the release would fail.`,
};
/** Parses `[--release R] [--markdown]` in any order; anything else is a usage error. */
export function parsePreviewArgs(args: string[]): { release?: string; markdown: boolean } | undefined {
    const line = parseCommandLine(spec, args);
    if (!line) {
        return undefined;
    }
    const release = line.values.release;
    return { ...(typeof release === "string" ? { release } : {}), markdown: line.values.markdown === true };
}

export const command: Command<typeof import("../../pipeline/workflow/preview")> = {
    spec,
    summary: "what an up would change: the engine's preview, digests, policy",
    cluster: true,
    load: () => import("../../pipeline/workflow/preview"),
    async run(args, ctx, { planPreview, previewOutcome, PREVIEW_EXIT }) {
        const parsed = parsePreviewArgs(args);
        if (!parsed) {
            return usageError(spec);
        }
        // Progress goes to stderr: stdout is the report, often redirected into a comment.
        const progress = new Progress(process.stderr);
        try {
            const plan = await planPreview(ctx, parsed.release, progress);
            const outcome = previewOutcome(plan);
            progress.close();
            process.stdout.write(`${parsed.markdown ? formatPreviewMarkdown(plan, outcome) : formatPreviewText(plan, outcome)}\n`);
            return PREVIEW_EXIT[outcome];
        } catch (err) {
            progress.close();
            if (parsed.markdown && err instanceof PinnedError) {
                process.stdout.write(`${formatPreviewErrorMarkdown(err)}\n`);
            }
            return reportError(err, 1);
        }
    },
};
