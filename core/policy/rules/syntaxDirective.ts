import { findingAtLine, RecipeRule } from "../recipeRule";

/** `# syntax=…` without a digest pulls a frontend image at build time. */
export const syntaxDirective: RecipeRule = {
    ids: ["syntax-directive"],
    check: (recipe) =>
        recipe.dockerfile
            .getDirectives()
            .filter((d) => d.getName().toLowerCase() === "syntax" && !/@sha256:[0-9a-f]{64}$/.test(d.getValue()))
            .map((d) =>
                findingAtLine(recipe.file, d.getRange().start.line + 1, "warning", {
                    rule: "syntax-directive",
                    message: `"# syntax=${d.getValue()}" pulls a frontend image at build time`,
                    fix: "remove the directive, or pin the frontend by digest",
                }),
            ),
};
