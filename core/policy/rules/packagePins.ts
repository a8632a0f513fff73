import { packageProblems } from "../packageRules";
import { findingAt, RecipeRule } from "../recipeRule";

/** Package installs (pip, apt, npm, apk) must pin exact versions; see packageRules.ts. */
export const packagePins: RecipeRule = {
    ids: [
        "pip-unpinned",
        "pip-requirements-unreadable",
        "pip-no-hashes",
        "pip-remote-index",
        "pip-target-compile",
        "apt-unpinned",
        "apt-upgrade",
        "npm-unpinned",
        "apk-unpinned",
    ],
    check: (recipe) =>
        recipe.runs.flatMap((run) =>
            run.commands.flatMap((command) =>
                packageProblems(command.argv, recipe.readRequirements, (name) => run.isSet(name, command)).map((p) =>
                    findingAt(recipe, run.instruction, p.severity ?? "error", p),
                ),
            ),
        ),
};
