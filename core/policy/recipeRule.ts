import { Arg, Dockerfile, From, Instruction, Run } from "dockerfile-ast";
import { Finding, Severity } from "./finding";
import { Problem, RequirementsReader } from "./packageRules";
import { SimpleCommand } from "./shellCommands";

/**
 * One check of a recipe. Each rule lives in its own file under rules/ and
 * is listed once in rules/index.ts; `lintDockerfile` runs them all.
 */
export interface RecipeRule {
    /** The ids its findings carry (the README lists them). */
    readonly ids: readonly string[];
    check(recipe: RecipeUnderCheck): Finding[];
}

/** A RUN instruction with its commands and what its stage sets. */
export interface RunUnderCheck {
    readonly instruction: Run;
    /** Its simple commands, `sh -c '…'` included. */
    readonly commands: readonly SimpleCommand[];
    /** Whether `name` is set, not empty, for `command`: from the stage's ARG and ENV, or the command line's own assignment. */
    isSet(name: string, command: SimpleCommand): boolean;
}

/** A parsed recipe, with what several rules need worked out once. */
export interface RecipeUnderCheck {
    /** The Dockerfile's path, as given; findings carry it. */
    readonly file: string;
    readonly dockerfile: Dockerfile;
    readonly instructions: readonly Instruction[];
    readonly froms: readonly From[];
    /** The ARGs before the first FROM that have a default, by name. */
    readonly globalArgs: ReadonlyMap<string, string>;
    /** Every build stage's name, lower-cased. */
    readonly stages: readonly string[];
    /** The stages named before `from` (lower-cased): the ones it may build on. */
    stagesBefore(from: From): readonly string[];
    readonly runs: readonly RunUnderCheck[];
    /** Reads a requirements file named in a RUN line, inside the build context only. */
    readonly readRequirements: RequirementsReader;
}

/** A finding at `instruction`'s line. */
export function findingAt(recipe: RecipeUnderCheck, instruction: Instruction, severity: Severity, p: Problem): Finding {
    return findingAtLine(recipe.file, instruction.getRange().start.line + 1, severity, p);
}

export function findingAtLine(file: string, line: number, severity: Severity, p: Problem): Finding {
    return { file, line, severity, rule: p.rule, message: p.message, fix: p.fix };
}

/** The final stage's instructions (after the last FROM), or undefined when there is no FROM. */
export function finalStage(recipe: RecipeUnderCheck): { from: From; instructions: Instruction[] } | undefined {
    const last = recipe.froms[recipe.froms.length - 1];
    if (!last) {
        return undefined;
    }
    const start = last.getRange().start.line;
    return { from: last, instructions: recipe.instructions.filter((i) => i.getRange().start.line > start) };
}

/** The name an ARG instruction declares. */
export function argName(instruction: Instruction): string | undefined {
    return (instruction as Arg).getProperty()?.getName();
}
