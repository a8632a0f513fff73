import { RecipeRule } from "../recipeRule";
import { addRemoteUrl } from "./addRemoteUrl";
import { basePinning } from "./basePinning";
import { commitLabel } from "./commitLabel";
import { numericUser } from "./numericUser";
import { packagePins } from "./packagePins";
import { pythonSourceDateEpoch } from "./pythonSourceDateEpoch";
import { remoteScript } from "./remoteScript";
import { secretBuildArg } from "./secretBuildArg";
import { syntaxDirective } from "./syntaxDirective";

/** Every check `pinned lint` runs; a new rule is a file here and a line in this list. */
export const RECIPE_RULES: readonly RecipeRule[] = [
    syntaxDirective,
    basePinning,
    secretBuildArg,
    remoteScript,
    packagePins,
    pythonSourceDateEpoch,
    addRemoteUrl,
    commitLabel,
    numericUser,
];
