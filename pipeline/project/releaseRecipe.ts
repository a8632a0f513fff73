import { credentialsFor } from "../../core/registry";
import * as fs from "fs";
import * as path from "path";
import { assertBasesPresent } from "../../core/baseDrift";
import { Finding } from "../../core/policy/finding";
import { recipeFindings } from "../../core/recipe";
import { mirrorHistory } from "./baseMirror";
import { defaultRegistry } from "./localEnvironment";
import { Context } from "../context";
import { ReleaseRecord, releaseSettings } from "./stackFile";

/** A release's recipe as the program will judge it, named as the repository names it. */
export interface ReleaseRecipe {
    readonly appDir: string;
    /** Absolute path of the Dockerfile. */
    readonly dockerfile: string;
    /** The Dockerfile relative to the project, for messages, logs and comments. */
    readonly recipe: string;
    /** Policy findings, their file relative to the project. */
    readonly findings: Finding[];
}

/** Where the release's recipe is (`pinned:app`), without reading it. */
export function releaseRecipePaths(
    ctx: Pick<Context, "projectDir" | "env">,
    record: ReleaseRecord | undefined,
): Omit<ReleaseRecipe, "findings"> {
    const { appDir } = releaseSettings(ctx, record);
    const dockerfile = path.join(appDir, "Dockerfile");
    return { appDir, dockerfile, recipe: path.relative(ctx.projectDir, dockerfile) };
}

/** Reads the recipe with the release's settings (`pinned:app`, `pinned:strictPolicy`). */
export function releaseRecipe(ctx: Pick<Context, "projectDir" | "env">, record: ReleaseRecord | undefined): ReleaseRecipe {
    const { strictPolicy } = releaseSettings(ctx, record);
    const paths = releaseRecipePaths(ctx, record);
    return { ...paths, findings: recipeFindings({ appDir: paths.appDir, strictPolicy }, ctx.projectDir) };
}

/**
 * Refuses a recipe whose base the default registry (where a new release
 * pushes) does not hold, naming both digests and the re-pin command; no
 * check without a registry (the build says so itself).
 */
export async function assertReleaseBasesPresent(
    ctx: Pick<Context, "env" | "cacheDir">,
    recipe: Omit<ReleaseRecipe, "findings">,
): Promise<void> {
    const registry = defaultRegistry(ctx.env);
    if (registry) {
        await assertBasesPresent(
            fs.readFileSync(recipe.dockerfile, "utf8"),
            recipe.recipe,
            credentialsFor(registry),
            mirrorHistory(ctx.cacheDir),
        );
    }
}
