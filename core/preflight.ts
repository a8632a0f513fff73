import * as path from "path";
import { Env } from "./env";
import { ImageDigest } from "./imageDigest";
import { RegistryError } from "./errors";
import { assertReleaseSource, assertTagNotMoved, GitSource, readGitSource } from "./git/gitSource";
import { ReleaseName } from "./git/releaseName";
import { Finding } from "./policy/finding";
import { assertRecipePasses, recipeFindings } from "./recipe";
import { manifestExists, RegistryCredentials } from "./registry";
import { Settings } from "./settings";

/** What a release will do, once every refusal has had its say. */
export type ReleasePlan =
    /** Deploy the digest the release recorded: no build, no source needed. */
    | { readonly kind: "recorded"; readonly digest: ImageDigest }
    /** Build from the release's commit, which is checked out, clean and tagged. */
    | { readonly kind: "build"; readonly source: GitSource; readonly findings: readonly Finding[] };

export interface PreflightInput {
    readonly release: ReleaseName;
    readonly settings: Pick<Settings, "imageDigest" | "commit" | "appDir" | "strictPolicy">;
    /**
     * With a recorded digest, check that the release tag still points at the
     * recorded commit. Rollback leaves it off: it redeploys recorded bytes
     * and needs neither the code nor the tags.
     */
    readonly checkTag: boolean;
    /** Credentials to ask the registry whether a recorded digest is still there; no check without them. */
    readonly registry?: RegistryCredentials;
    /** The caller's environment, which git runs with (core/childEnv.ts). */
    readonly env: Env;
    /** Where git is read for the tag check; the app's directory by default. */
    readonly dir?: string;
    /** The source as the caller just read it from `dir`, so git is not read twice (about 0.1 s). */
    readonly source?: GitSource;
    /** Name files in findings and messages relative to this directory (the project), as people read them. */
    readonly relativeTo?: string;
    /**
     * A recipe that breaks the policy is refused (the default), or only
     * reported in the plan's findings (a preview shows them).
     */
    readonly policy?: "refuse" | "report";
}

/**
 * The one place that decides "deploy the recorded digest" or "build from
 * this commit", and makes every refusal on the way, for the program and
 * for each command alike: a moved tag, a recorded digest the registry lost,
 * a dirty tree or a tag not at HEAD, a recipe that breaks the policy.
 */
export async function preflight(input: PreflightInput): Promise<ReleasePlan> {
    const { release, settings } = input;
    if (settings.imageDigest) {
        if (input.checkTag) {
            const source = input.source ?? (await readGitSource(input.dir ?? settings.appDir, input.env));
            await assertTagNotMoved(source.root, release, settings.commit, input.env);
        }
        if (input.registry) {
            await assertInRegistry(release, settings.imageDigest, input.registry);
        }
        return { kind: "recorded", digest: settings.imageDigest };
    }
    const source = input.source ?? (await readGitSource(input.dir ?? settings.appDir, input.env));
    await assertReleaseSource(source, release, settings.commit, input.env);
    const findings = recipeFindings({ appDir: settings.appDir, strictPolicy: settings.strictPolicy }, input.relativeTo);
    if (input.policy !== "report") {
        const dockerfile = path.join(settings.appDir, "Dockerfile");
        assertRecipePasses(findings, input.relativeTo ? path.relative(input.relativeTo, dockerfile) : dockerfile);
    }
    return { kind: "build", source, findings };
}

/** A recorded digest is only worth deploying while the registry has it. */
export async function assertInRegistry(release: string, digest: ImageDigest, creds: RegistryCredentials): Promise<void> {
    if (!(await manifestExists(digest, creds))) {
        throw new RegistryError(
            `release ${release} recorded ${digest}, but the registry no longer has it.`,
            "restore the image to the registry (or pick another release); rebuilding would not give the same bytes.",
        );
    }
}
