import { finalStage, findingAt, RecipeRule } from "../recipeRule";

/**
 * The Deployment runs with `runAsNonRoot`, which the kubelet can check only
 * for a numeric user: the final stage must say `USER <uid>` with a uid
 * other than 0, or the pod never starts (CreateContainerConfigError).
 */
export const numericUser: RecipeRule = {
    ids: ["user-not-numeric"],
    check(recipe) {
        const final = finalStage(recipe);
        if (!final) {
            return []; // commitLabel reports the missing FROM
        }
        const user = final.instructions.filter((i) => i.getKeyword() === "USER").pop();
        const value = user?.getArgumentsContent()?.trim();
        const uid = value?.split(":")[0];
        if (uid !== undefined && /^\d+$/.test(uid) && Number(uid) !== 0) {
            return [];
        }
        return [
            findingAt(recipe, user ?? final.from, "error", {
                rule: "user-not-numeric",
                message: user
                    ? `USER ${value} is ${uid && /^\d+$/.test(uid) ? "root" : "not a numeric uid"}, but the pod runs with runAsNonRoot, which needs a numeric uid other than 0`
                    : "the final stage sets no USER, but the pod runs with runAsNonRoot, which needs a numeric uid other than 0",
                fix: "add after the last FROM: USER 65534 (or another numeric uid that is not 0)",
            }),
        ];
    },
};
