import { InvalidInputError } from "./errors";

/**
 * An image reference that names its bytes: `repository@sha256:<64 hex>`.
 *
 * Branded so that only `parseImageDigest` can make one: a plain string,
 * and in particular a movable tag like `app:1.2`, does not type-check where
 * an `ImageDigest` is expected.
 */
export type ImageDigest = string & { readonly __brand: "ImageDigest" };

/** The parts of an image digest. */
export interface ImageDigestParts {
    /** `registry[:port]/path`, e.g. `127.0.0.1:5000/pinned/app`. */
    readonly repository: string;
    /** `sha256:<64 lowercase hex>`. */
    readonly digest: string;
}

// distribution/reference grammar, restricted to what a pushed image can be.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const SHA256 = /^sha256:[0-9a-f]{64}$/;

const FORM = "repository@sha256:<64 hex digits>, e.g. 127.0.0.1:5000/pinned/app@sha256:3f2a…";

/** Parses `repository@sha256:<hex>`; refuses tags, empty and `<none>` digests. */
export function parseImageDigest(value: string): ImageDigest {
    return formatImageDigest(splitImageDigest(value));
}

/** Splits an image digest into repository and digest, validating both. */
export function splitImageDigest(value: string): ImageDigestParts {
    const text = value.trim();
    if (text === "" || text.includes("<none>")) {
        throw new InvalidInputError(
            `the image digest is empty ("${value}"): the build or push did not produce an image in the registry.`,
            "check the build and push output above; nothing was deployed.",
        );
    }
    const at = text.indexOf("@");
    if (at < 0) {
        throw new InvalidInputError(`"${value}" has no digest: a tag can move, so it cannot be deployed.`, `give ${FORM}.`);
    }
    const repository = text.slice(0, at);
    const digest = text.slice(at + 1);
    const lastSlash = repository.lastIndexOf("/");
    if (repository.slice(lastSlash + 1).includes(":")) {
        throw new InvalidInputError(
            `"${value}" carries a tag as well as a digest; the tag is ignored by the runtime and misleads readers.`,
            `drop the ":tag" part and give ${FORM}.`,
        );
    }
    if (!REPOSITORY.test(repository)) {
        throw new InvalidInputError(`"${repository}" is not a valid image repository name.`, `give ${FORM}.`);
    }
    if (!SHA256.test(digest)) {
        throw new InvalidInputError(`"${digest}" is not a sha256 digest.`, `give ${FORM}.`);
    }
    return { repository, digest };
}

/** Joins validated parts back into an image digest. */
export function formatImageDigest(parts: ImageDigestParts): ImageDigest {
    return `${parts.repository}@${parts.digest}` as ImageDigest;
}
