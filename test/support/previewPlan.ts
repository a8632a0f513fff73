import { Finding } from "../../core/policy/finding";
import { PreviewPlan } from "../../pipeline/workflow/preview";

/** The live image before, and the one a preview builds. */
export const OLD = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
export const NEW = `127.0.0.1:5000/pinned/app@sha256:${"b".repeat(64)}`;
export const COMMIT = "c".repeat(40);
export const BASE = `127.0.0.1:5000/pinned/python:3.11.2-bookworm@sha256:${"d".repeat(64)}`;

/** A policy finding of `severity` on the recipe's first line. */
export const finding = (severity: Finding["severity"]): Finding => ({
    file: "app/Dockerfile",
    line: 1,
    rule: "base-no-digest",
    severity,
    message: "base has no digest",
    fix: "pin it",
});

/** A preview of release 2026-12-04-001 built from the recipe (or its recorded digest), changed as `over` says. */
export function plan(
    over: {
        digest?: string;
        unknownBecause?: string;
        buildFailed?: boolean;
        findings?: Finding[];
        before?: PreviewPlan["before"];
        recorded?: boolean;
    } = {},
): PreviewPlan {
    return {
        release: "2026-12-04-001",
        stack: "2026-12-04-001",
        commit: COMMIT,
        deployment: "default/pinned-app",
        image: over.recorded
            ? { kind: "recorded", digest: over.digest ?? NEW }
            : {
                  kind: "build",
                  recipe: "app/Dockerfile",
                  baseImages: [BASE],
                  finalBase: BASE,
                  findings: over.findings ?? [],
                  imageName: "127.0.0.1:5000/pinned/app-preview:2026-12-04-001",
                  reproducible: true,
                  digest: "digest" in over ? over.digest : NEW,
                  unknownBecause: over.unknownBecause,
                  buildFailed: over.buildFailed,
                  buildSeconds: 12,
              },
        before: over.before ?? { digest: OLD, release: "2026-11-27-001", source: "live" },
    };
}
