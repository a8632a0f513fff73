import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { finalBase, splitReference } from "./baseImage";
import { contextHash } from "./contextHash";
import { ImageDigest } from "./imageDigest";
import { RecipePolicyError } from "./errors";
import { Finding, formatFinding, hasErrors } from "./policy/finding";
import { lintDockerfileFile } from "./policy/recipePolicy";
import { findTaggedImage, RegistryCredentials, registryScheme } from "./registry";

/** What a release image is made from: the recipe at a commit, and what it is called. */
export interface RecipeInputs {
    /** Directory holding the recipe; it is also the build context. */
    readonly appDir: string;
    /**
     * The recipe, relative to `appDir`.
     * @default "Dockerfile"
     */
    readonly dockerfile?: string;
    /** The release the image belongs to: `org.opencontainers.image.version`. */
    readonly release: string;
    /** Full commit hash: the `git_hash` build arg and label. */
    readonly commit: string;
    /** Commit time (ISO 8601): `org.opencontainers.image.created`, never the clock. */
    readonly commitTime: string;
    /** Where the code lives: `org.opencontainers.image.source`. */
    readonly sourceUrl?: string;
    /**
     * Further build args. Recorded in state; never put secrets here.
     * @default {}
     */
    readonly buildArgs?: Record<string, string>;
    /**
     * The builder and its version (`buildah 1.28.2`), recorded in the
     * `pinned.builder` label: a rebuild needs the same one. None for the
     * Docker provider, whose images cannot be rebuilt bit for bit anyway.
     */
    readonly builder?: string;
    /**
     * Refuse warnings too, notably a base image without a digest.
     * @default true
     */
    readonly strictPolicy?: boolean;
}

/** The labels every release image carries; none comes from the clock. */
export function releaseLabels(args: Pick<RecipeInputs, "commit" | "commitTime" | "release" | "sourceUrl">): Record<string, string> {
    const labels: Record<string, string> = {
        git_hash: args.commit,
        "org.opencontainers.image.revision": args.commit,
        "org.opencontainers.image.version": args.release,
        "org.opencontainers.image.created": args.commitTime,
    };
    if (args.sourceUrl) {
        labels["org.opencontainers.image.source"] = args.sourceUrl;
    }
    return labels;
}

/** The recipe's policy findings, judged as a release build judges them. */
export function recipeFindings(args: Pick<RecipeInputs, "appDir" | "dockerfile" | "strictPolicy">, relativeTo?: string): Finding[] {
    const dockerfile = path.resolve(args.appDir, args.dockerfile ?? "Dockerfile");
    const findings = lintDockerfileFile(dockerfile, { strict: args.strictPolicy ?? true, contextDir: args.appDir });
    // Named as people read them (app/Dockerfile:3) when a project directory is given.
    return relativeTo === undefined ? findings : findings.map((f) => ({ ...f, file: path.relative(relativeTo, f.file) }));
}

/** Refuses a recipe whose findings include errors, listing every finding. */
export function assertRecipePasses(findings: readonly Finding[], recipe: string): void {
    if (hasErrors(findings)) {
        throw new RecipePolicyError(
            `the recipe ${recipe} breaks the pinning policy:\n  ${findings.map(formatFinding).join("\n  ")}`,
            "fix the findings above (pinned lint --strict shows them), commit, and tag a new release.",
        );
    }
}

/** What one build of the recipe consumes, the same for `pinned up` and `pinned preview`. */
export interface RecipeBuild {
    readonly context: string;
    readonly dockerfile: string;
    readonly contextHash: string;
    readonly buildArgs: Record<string, string>;
    readonly labels: Record<string, string>;
}

/**
 * The label that names a build's inputs: recipe and context content, build
 * args and the other labels, no machine paths. An image in the registry
 * carrying the same value was built from the same inputs, so it can be
 * deployed instead of building again (see findIdenticalBuild): the digest a
 * `pinned preview` of a release showed is the one `pinned up` ships.
 */
export const BUILD_INPUTS_LABEL = "pinned.build-inputs";

export function recipeBuild(args: Omit<RecipeInputs, "strictPolicy">): RecipeBuild {
    const dockerfile = path.resolve(args.appDir, args.dockerfile ?? "Dockerfile");
    const hash = contextHash(args.appDir, dockerfile);
    // SOURCE_DATE_EPOCH reaches the stages that declare it: Python then
    // writes hash-based .pyc files (the recipe policy asks for it).
    const buildArgs = { ...(args.buildArgs ?? {}), git_hash: args.commit, SOURCE_DATE_EPOCH: epochOf(args.commitTime) };
    const labels: Record<string, string> = {
        ...releaseLabels(args),
        ...baseLabels(dockerfile),
        [BUILD_ARGS_LABEL]: JSON.stringify(Object.fromEntries(sorted(buildArgs))),
        ...(args.builder ? { [BUILDER_LABEL]: args.builder } : {}),
    };
    const canonical = JSON.stringify([hash, path.relative(args.appDir, dockerfile), sorted(buildArgs), sorted(labels)]);
    labels[BUILD_INPUTS_LABEL] = `sha256:${crypto.createHash("sha256").update(canonical).digest("hex")}`;
    return { context: path.resolve(args.appDir), dockerfile, contextHash: hash, buildArgs, labels };
}

/**
 * The OCI labels naming the base the image is built on (its final stage's
 * FROM), so a preview can say that a change moves the base.
 */
/** What a rebuild needs besides the commit: the builder and its version, and the build args. */
export const BUILDER_LABEL = "pinned.builder";
export const BUILD_ARGS_LABEL = "pinned.build-args";

/** Whole seconds since 1970 of an ISO 8601 time: the commit time, as builders and Python take it. */
export function epochOf(iso: string): string {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) {
        throw new Error(`epochOf: "${iso}" is not a time`);
    }
    return String(Math.floor(ms / 1000));
}

export const BASE_NAME_LABEL = "org.opencontainers.image.base.name";
export const BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest";

function baseLabels(dockerfile: string): Record<string, string> {
    const base = fs.existsSync(dockerfile) ? finalBase(fs.readFileSync(dockerfile, "utf8")) : undefined;
    if (!base) {
        return {};
    }
    const { repository, tag, digest } = splitReference(base);
    const name = `${repository}${tag ? `:${tag}` : ""}`;
    return digest ? { [BASE_NAME_LABEL]: name, [BASE_DIGEST_LABEL]: digest } : { [BASE_NAME_LABEL]: name };
}

function sorted(record: Record<string, string>): Array<[string, string]> {
    return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * An image already in the registry under `repository:tag` whose
 * `pinned.build-inputs` label equals this build's: it was built from exactly
 * these inputs (by a `pinned preview` or an earlier `up`), so it is deployed
 * as it is. Rebuilding would give other bytes (the image's `created` time is
 * the build's clock), so this is what makes a previewed digest the shipped one.
 */
export async function findIdenticalBuild(
    repository: string,
    tag: string,
    recipe: Pick<RecipeBuild, "labels">,
    creds: RegistryCredentials,
): Promise<ImageDigest | undefined> {
    const found = await findTaggedImage(repository, tag, creds);
    const wanted = recipe.labels[BUILD_INPUTS_LABEL];
    return found && wanted && found.labels[BUILD_INPUTS_LABEL] === wanted ? found.imageDigest : undefined;
}

/**
 * The address the Docker provider keys a registry's credentials by. It
 * carries the scheme: without `http://` the provider looks the pushed
 * digest up over HTTPS, which a plain-HTTP loopback registry cannot answer.
 */
export function registryAddress(server: string): string {
    return `${registryScheme(server)}://${server}`;
}
