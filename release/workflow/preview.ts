import { Finding, hasErrors } from "../../core/policy/finding";
import { EnginePreview } from "../engine/preview";

/** The image side of a preview: built now from the recipe, or recorded by an earlier up. */
export type PreviewImage =
    | {
          readonly kind: "build";
          /** The recipe, relative to the project. */
          readonly recipe: string;
          readonly baseImages: readonly string[];
          /** The base the final image is built on, as the recipe pins it. */
          readonly finalBase?: string;
          readonly findings: readonly Finding[];
          /** `registry/repository:tag` the preview pushed (or would push): the preview repository. */
          readonly imageName: string;
          /** buildah rebuilds bit for bit, so a release's build gets the preview's digest; docker does not. */
          readonly reproducible?: boolean;
          /** Known once the preview built and pushed; otherwise `unknownBecause` says why. */
          readonly digest?: string;
          readonly unknownBecause?: string;
          /** The build or push itself failed: a release would fail the same way. */
          readonly buildFailed?: boolean;
          readonly buildSeconds?: number;
          /** The registry already had an image from exactly these inputs: reused, not rebuilt. */
          readonly reused?: boolean;
      }
    | { readonly kind: "recorded"; readonly digest: string };

/** What runs now, and how the preview knows. */
export interface PreviewBefore {
    readonly digest?: string;
    readonly release?: string;
    /** The base the image before was built on (its `org.opencontainers.image.base.*` labels), when it records one. */
    readonly base?: string;
    /** "live" read from the cluster; "recorded" from the newest stack file; "none" when nothing ran yet. */
    readonly source: "live" | "recorded" | "none";
    readonly note?: string;
}

export interface PreviewPlan {
    /** The release being previewed; undefined for a commit not tagged yet (a pull request). */
    readonly release?: string;
    /** The stack the change would be released as: the release, or the next release name of today. */
    readonly stack: string;
    readonly commit: string;
    readonly deployment: string;
    readonly image: PreviewImage;
    readonly before: PreviewBefore;
    /** The engine's preview of the stack; absent when the image could not be made. */
    readonly engine?: EnginePreview;
}

export type PreviewOutcome = "no-change" | "change" | "error";

/** Exit codes: 0 no change, 3 the stack changes, 1 an up would fail. */
export const PREVIEW_EXIT: Record<PreviewOutcome, number> = { "no-change": 0, change: 3, error: 1 };

/**
 * A recipe the policy refuses, a build that failed, or an engine preview
 * that failed means the release would fail: that is an error. Otherwise the
 * engine's preview decides; without one (no registry to build into) the
 * image changes unless the digest after is known and equal to the one running.
 */
export function previewOutcome(plan: PreviewPlan): PreviewOutcome {
    if (plan.image.kind === "build" && (hasErrors(plan.image.findings) || plan.image.buildFailed)) {
        return "error";
    }
    if (plan.engine) {
        return plan.engine.errors.length > 0 ? "error" : plan.engine.changes.length > 0 ? "change" : "no-change";
    }
    const after = plan.image.digest;
    return after !== undefined && after === plan.before.digest ? "no-change" : "change";
}
