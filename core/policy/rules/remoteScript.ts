import { findingAt, RecipeRule } from "../recipeRule";

/** `curl … | sh`, `wget -O- … | bash` and the like: a download run unchecked. */
const REMOTE_SCRIPT = /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|da|z|k)?sh\b/;

export const remoteScript: RecipeRule = {
    ids: ["remote-script"],
    check: (recipe) =>
        recipe.runs
            .filter((run) => REMOTE_SCRIPT.test(run.instruction.getArgumentsContent() ?? ""))
            .map((run) =>
                findingAt(recipe, run.instruction, "error", {
                    rule: "remote-script",
                    message: "RUN pipes content fetched from the network into a shell, with no checksum: it can change between builds",
                    fix: "download to a file, check it (echo '<sha256>  FILE' | sha256sum -c -), then run it; or vendor the script in the repository",
                }),
            ),
};
