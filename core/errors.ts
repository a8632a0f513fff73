/**
 * An error a user can hit and act on. The message says what is wrong; `fix`
 * says what to do about it. The CLI prints both and exits non-zero; inside a
 * Pulumi program the combined message stops the run.
 */
export class PinnedError extends Error {
    constructor(
        /** What is wrong, in one sentence. */
        readonly problem: string,
        /** What the user should do about it. */
        readonly fix: string,
    ) {
        super(`${problem}\n  fix: ${fix}`);
        this.name = new.target.name;
    }
}

/** A value given by the user (a ref, a release name, a digest) is malformed. */
export class InvalidInputError extends PinnedError {}

/** The git working tree or its tags do not allow a release build. */
export class GitSourceError extends PinnedError {}

/** The build recipe breaks reproducibility; the findings say where. */
export class RecipePolicyError extends PinnedError {}

/** The registry could not confirm an image digest. */
export class RegistryError extends PinnedError {}

/** An image in the registry cannot be read as one: an unsupported manifest or layer format, or a damaged layer. */
export class ImageContentError extends PinnedError {}

/** Stack configuration is missing or inconsistent. */
export class ConfigError extends PinnedError {}
