import { argName, findingAt, RecipeRule } from "../recipeRule";

/** A build arg named like a secret stays readable in the image history. */
export const secretBuildArg: RecipeRule = {
    ids: ["secret-build-arg"],
    check: (recipe) =>
        recipe.instructions
            .filter((i) => i.getKeyword() === "ARG" && /PASSWORD|TOKEN|SECRET|KEY/i.test(argName(i) ?? ""))
            .map((i) =>
                findingAt(recipe, i, "error", {
                    rule: "secret-build-arg",
                    message: `build arg ${argName(i)} looks like a secret; build args stay readable in the image history`,
                    fix: `pass it as a build secret: RUN --mount=type=secret,id=${(argName(i) ?? "").toLowerCase()} …`,
                }),
            ),
};
