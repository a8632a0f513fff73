import { InvalidInputError } from "../errors";
import { CONTAINER_TAG, isReleaseName, RELEASE_FORM } from "./releaseName";

/** A git ref, told apart as branch or tag. */
export interface GitRef {
    readonly kind: "branch" | "tag";
    /** The short name: `develop`, `feature/login`, `2026-11-27-001`. */
    readonly name: string;
}

/** What `containerTagFor` accepts, for error messages and `--help`. */
export const ACCEPTED_REFS = [
    "branch develop                 -> latest",
    "branch feature/NAME            -> feature-NAME",
    "branch release/yyyy-mm-dd-NNN  -> yyyy-mm-dd-NNN-rc",
    "tag    yyyy-mm-dd-NNN          -> yyyy-mm-dd-NNN",
];

/**
 * Reads `refs/heads/X`, `refs/tags/X` or a bare name. A bare name that is a
 * release name is a tag (releases are tags); any other bare name is a branch.
 */
export function parseGitRef(ref: string): GitRef {
    if (ref.startsWith("refs/tags/")) {
        return { kind: "tag", name: ref.slice("refs/tags/".length) };
    }
    if (ref.startsWith("refs/heads/")) {
        return { kind: "branch", name: ref.slice("refs/heads/".length) };
    }
    return isReleaseName(ref) ? { kind: "tag", name: ref } : { kind: "branch", name: ref };
}

/**
 * The container tag convention: the image built from a ref is tagged after
 * it, so a tag in the registry tells which line of work it came from. Tags
 * move, which is why deployments use digests; this tag is for people.
 */
export function containerTagFor(ref: GitRef | string): string {
    const r = typeof ref === "string" ? parseGitRef(ref) : ref;
    if (r.kind === "tag") {
        if (isReleaseName(r.name)) {
            return r.name;
        }
        throw refused(`tag "${r.name}" is not a release tag (${RELEASE_FORM})`);
    }
    if (r.name === "develop") {
        return "latest";
    }
    if (r.name.startsWith("release/")) {
        const release = r.name.slice("release/".length);
        if (isReleaseName(release)) {
            return `${release}-rc`;
        }
        throw refused(`branch "${r.name}" names no valid release (${RELEASE_FORM})`);
    }
    if (r.name.startsWith("feature/")) {
        const feature = r.name.slice("feature/".length);
        // Nested feature branches flatten: feature/auth/login -> feature-auth-login.
        const tag = `feature-${feature.split("/").join("-")}`;
        if (feature.length > 0 && CONTAINER_TAG.test(tag)) {
            return tag;
        }
        throw refused(
            `branch "${r.name}" gives "${tag}", which is not a valid container tag ` +
                "(letters, digits, '_', '.', '-'; at most 128 characters)",
        );
    }
    throw refused(`${r.kind} "${r.name}" follows none of the release conventions`);
}

function refused(problem: string): InvalidInputError {
    return new InvalidInputError(`${problem}.`, `use one of these refs:\n    ${ACCEPTED_REFS.join("\n    ")}`);
}
