import * as fs from "fs";
import * as path from "path";
import { Arg, DockerfileParser, From, Instruction, Run } from "dockerfile-ast";
import { RequirementsReader } from "./packageRules";
import { RecipeUnderCheck, RunUnderCheck } from "./recipeRule";
import { execCommands, SimpleCommand, simpleCommands } from "./shellCommands";
import { StageVariables } from "./stageVariables";

/** Parses a recipe once for every rule; requirements files are read from `contextDir`. */
export function recipeUnderCheck(text: string, file: string, contextDir: string): RecipeUnderCheck {
    const dockerfile = DockerfileParser.parse(text);
    const instructions = dockerfile.getInstructions();
    const froms = dockerfile.getFROMs();
    const stagesAt = new Map<From, string[]>();
    const stages: string[] = [];
    for (const from of froms) {
        stagesAt.set(from, [...stages]);
        const stage = from.getBuildStage();
        if (stage) {
            stages.push(stage.toLowerCase());
        }
    }
    const variables = new StageVariables();
    const runs: RunUnderCheck[] = [];
    for (const instruction of instructions) {
        variables.see(instruction);
        if (instruction.getKeyword() === "RUN") {
            runs.push({ instruction: instruction as Run, commands: runCommands(instruction as Run), isSet: variables.snapshot() });
        }
    }
    return {
        file,
        dockerfile,
        instructions,
        froms,
        globalArgs: argDefaults(dockerfile.getInitialARGs()),
        stages,
        stagesBefore: (from) => stagesAt.get(from) ?? [],
        runs,
        readRequirements: requirementsReader(contextDir, dockerfile.getCOPYs().map(copySources)),
    };
}

function runCommands(run: Run): SimpleCommand[] {
    // RUN options such as --mount=… belong to RUN, not to the command.
    const content = (run.getArgumentsContent() ?? "").replace(/^(\s*--[a-z-]+=\S+)+\s*/, "");
    const argv = execForm(content);
    // ["sh", "-c", "…"] is a shell line in disguise; execCommands splits it.
    return argv ? execCommands(argv) : simpleCommands(content);
}

/** The argv of an exec-form instruction (`["pip", "install", "x"]`), else undefined. */
function execForm(content: string): string[] | undefined {
    if (!content.trimStart().startsWith("[")) {
        return undefined;
    }
    try {
        const parsed: unknown = JSON.parse(content);
        return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
    } catch {
        return undefined; // not valid JSON: Docker runs it as a shell line
    }
}

function argDefaults(args: Arg[]): Map<string, string> {
    const values = new Map<string, string>();
    for (const arg of args) {
        const p = arg.getProperty();
        const value = p?.getValue();
        if (p && value) {
            values.set(p.getName(), value);
        }
    }
    return values;
}

function copySources(copy: Instruction): string[] {
    const args = copy
        .getArguments()
        .map((a) => a.getValue())
        .filter((a) => !a.startsWith("--"));
    return args.slice(0, -1);
}

/**
 * Finds a requirements file named by its path inside the image: first as a
 * path in the build context, then as the source of a COPY with that name.
 */
function requirementsReader(contextDir: string, copied: string[][]): RequirementsReader {
    return (inImage) => {
        const base = path.basename(inImage);
        const candidates = [inImage.replace(/^\/+/, ""), base, ...copied.flat().filter((src) => path.basename(src) === base)];
        for (const candidate of candidates) {
            const full = path.join(contextDir, candidate);
            // Only files inside the build context (after symlinks): a path
            // like /../secrets.txt must not read, or print, a file outside it.
            if (!insideDir(contextDir, full)) {
                continue;
            }
            if (fs.existsSync(full) && fs.statSync(full).isFile()) {
                return { path: path.relative(process.cwd(), full) || full, text: fs.readFileSync(full, "utf8") };
            }
        }
        return undefined;
    };
}

function insideDir(dir: string, file: string): boolean {
    const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
    const rel = path.relative(real(dir), real(file));
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
