import { Add } from "dockerfile-ast";
import { findingAt, RecipeRule } from "../recipeRule";

/** ADD of a URL or git repository without --checksum fetches content that can change. */
export const addRemoteUrl: RecipeRule = {
    ids: ["add-remote-url"],
    check: (recipe) =>
        (recipe.instructions.filter((i) => i.getKeyword() === "ADD") as Add[])
            .filter((add) => {
                const sources = add.getArguments().map((a) => a.getValue());
                const hasChecksum = add.getFlags().some((f) => f.getName() === "checksum");
                return sources.slice(0, -1).some((s) => /^(https?|git):\/\//.test(s) || s.startsWith("git@")) && !hasChecksum;
            })
            .map((add) =>
                findingAt(recipe, add, "warning", {
                    rule: "add-remote-url",
                    message: "ADD fetches remote content that can change between builds",
                    fix: "add --checksum=sha256:<hex>, or COPY a file vendored in the repository",
                }),
            ),
};
