import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, BUILD_INPUTS_LABEL } from "../../core/recipe";

export const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const BASE_DIGEST = `sha256:${"b".repeat(64)}`;
export const INPUTS = `sha256:${"c".repeat(64)}`;

/** A recipe's build as provenanceOf reads it: build args, context hash and labels, with `buildInputs` as its inputs label. */
export function recipe(buildInputs = INPUTS) {
    return {
        buildArgs: { git_hash: COMMIT, SOURCE_DATE_EPOCH: "1795773600" },
        contextHash: "d".repeat(64),
        labels: {
            [BUILD_INPUTS_LABEL]: buildInputs,
            [BASE_NAME_LABEL]: "127.0.0.1:5000/pinned/python:3.11.2-bookworm",
            [BASE_DIGEST_LABEL]: BASE_DIGEST,
        },
    };
}

/** One release's build: what provenanceOf is given. */
export const inputs = {
    release: "2026-11-27-001",
    commit: COMMIT,
    commitTime: "2026-11-27T10:00:00Z",
    sourceUrl: "https://git.example/team/app.git",
    recipePath: "app/Dockerfile",
    recipe: recipe(),
    builder: "buildah 1.28.2",
};
