import * as path from "path";
import { Finding } from "../core/policy/finding";
import { recipeFindings } from "../core/recipe";
import { PROJECT_DIR } from "./environment";
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

/** Reads the recipe with the release's settings (`pinned:app`, `pinned:strictPolicy`). */
export function releaseRecipe(record: ReleaseRecord | undefined): ReleaseRecipe {
    const { appDir, strictPolicy } = releaseSettings(record);
    const dockerfile = path.join(appDir, "Dockerfile");
    const findings = recipeFindings({ appDir, strictPolicy }, PROJECT_DIR);
    return { appDir, dockerfile, recipe: path.relative(PROJECT_DIR, dockerfile), findings };
}
