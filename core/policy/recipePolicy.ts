import * as fs from "fs";
import * as path from "path";
import { Add, Arg, Copy, DockerfileParser, Env, From, Instruction, Label, Run } from "dockerfile-ast";
import { Finding, Severity } from "./finding";
import { packageProblems, Problem, RequirementsReader } from "./packageRules";
import { execCommands, expandsNonEmpty, SimpleCommand, simpleCommands } from "./shellCommands";

/** How strictly to judge a recipe. */
export interface PolicyOptions {
    /**
     * Turn every warning into an error — notably a base image without a
     * digest, which is only a warning by default.
     * @default false
     */
    readonly strict?: boolean;
    /**
     * Directory that requirements files are read from.
     * @default the Dockerfile's directory
     */
    readonly contextDir?: string;
}

/** Reads and checks a Dockerfile; the file name in findings is `file` as given. */
export function lintDockerfileFile(file: string, options: PolicyOptions = {}): Finding[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
        return [
            finding(file, 1, "error", {
                rule: "recipe-unreadable",
                message: `${file} ${reason}`,
                fix: "give the path of the app's Dockerfile, e.g. pinned lint app/Dockerfile",
            }),
        ];
    }
    return lintDockerfile(text, file, { contextDir: path.dirname(file), ...options });
}

/** The images a recipe builds on, as written in its FROM lines (build stages left out). */
export function baseImagesOf(text: string): string[] {
    const stages: string[] = [];
    const images: string[] = [];
    for (const from of DockerfileParser.parse(text).getFROMs()) {
        const image = from.getImage();
        if (image && !stages.includes(image.toLowerCase())) {
            images.push(image);
        }
        const stage = from.getBuildStage();
        if (stage) {
            stages.push(stage.toLowerCase());
        }
    }
    return images;
}

/**
 * Checks a recipe for what breaks reproducibility: bases that are not
 * pinned, package installs without exact versions or hashes, Python run
 * without SOURCE_DATE_EPOCH, secrets in build args, and a missing git_hash
 * label. Every finding names its line and a fix.
 */
export function lintDockerfile(text: string, file: string, options: PolicyOptions = {}): Finding[] {
    const df = DockerfileParser.parse(text);
    const findings: Finding[] = [];
    const add = (instruction: Instruction, severity: Severity, p: Problem) =>
        findings.push(finding(file, instruction.getRange().start.line + 1, severity, p));

    for (const directive of df.getDirectives()) {
        if (directive.getName().toLowerCase() === "syntax" && !/@sha256:[0-9a-f]{64}$/.test(directive.getValue())) {
            findings.push(
                finding(file, directive.getRange().start.line + 1, "warning", {
                    rule: "syntax-directive",
                    message: `"# syntax=${directive.getValue()}" pulls a frontend image at build time`,
                    fix: "remove the directive, or pin the frontend by digest",
                }),
            );
        }
    }

    const globalArgs = argDefaults(df.getInitialARGs());
    const stages: string[] = [];
    const froms = df.getFROMs();
    for (const from of froms) {
        const problem = baseImageProblem(from, globalArgs, stages);
        if (problem) {
            add(from, problem.severity, problem);
        }
        const stage = from.getBuildStage();
        if (stage) {
            stages.push(stage.toLowerCase());
        }
    }

    const readRequirements = requirementsReader(options.contextDir ?? path.dirname(file), df.getCOPYs().map(copySources));
    const stageVariables = new StageVariables();
    for (const instruction of df.getInstructions()) {
        const keyword = instruction.getKeyword();
        stageVariables.see(instruction);
        if (keyword === "ARG") {
            const name = (instruction as Arg).getProperty()?.getName() ?? "";
            if (/PASSWORD|TOKEN|SECRET|KEY/i.test(name)) {
                add(instruction, "error", {
                    rule: "secret-build-arg",
                    message: `build arg ${name} looks like a secret; build args stay readable in the image history`,
                    fix: `pass it as a build secret: RUN --mount=type=secret,id=${name.toLowerCase()} …`,
                });
            }
        } else if (keyword === "COPY") {
            const problem = copyFromProblem(instruction as Copy, globalArgs, stages);
            if (problem) {
                add(instruction, problem.severity, problem);
            }
        } else if (keyword === "RUN") {
            if (REMOTE_SCRIPT.test(instruction.getArgumentsContent() ?? "")) {
                add(instruction, "error", {
                    rule: "remote-script",
                    message: "RUN pipes content fetched from the network into a shell, with no checksum: it can change between builds",
                    fix: "download to a file, check it (echo '<sha256>  FILE' | sha256sum -c -), then run it; or vendor the script in the repository",
                });
            }
            const commands = runCommands(instruction as Run);
            for (const command of commands) {
                for (const p of packageProblems(command.argv, readRequirements, (name) => stageVariables.isSet(name, command))) {
                    add(instruction, p.severity ?? "error", p);
                }
            }
            const python = commands.find((c) => runsPython(c.argv) && !stageVariables.isSet("SOURCE_DATE_EPOCH", c));
            if (python) {
                add(instruction, "error", {
                    rule: "python-no-source-date-epoch",
                    message:
                        `RUN runs ${python.argv[0]} in a stage without SOURCE_DATE_EPOCH, so Python writes .pyc files ` +
                        "stamped with the build's clock and every build gives different bytes",
                    fix: "add ARG SOURCE_DATE_EPOCH after the FROM line (pinned passes the commit time; Python then writes hash-based .pyc files)",
                });
            }
        } else if (keyword === "ADD") {
            const sources = instruction.getArguments().map((a) => a.getValue());
            const hasChecksum = (instruction as Add).getFlags().some((f) => f.getName() === "checksum");
            if (sources.slice(0, -1).some((s) => /^(https?|git):\/\//.test(s) || s.startsWith("git@")) && !hasChecksum) {
                add(instruction, "warning", {
                    rule: "add-remote-url",
                    message: "ADD fetches remote content that can change between builds",
                    fix: "add --checksum=sha256:<hex>, or COPY a file vendored in the repository",
                });
            }
        }
    }

    findings.push(...commitLabelProblems(df.getInstructions(), froms, file));
    findings.push(...userProblems(df.getInstructions(), froms, file));
    const sorted = findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
    return options.strict ? sorted.map((f) => ({ ...f, severity: "error" as const })) : sorted;
}

type BaseProblem = Problem & { severity: Severity };

/** `curl … | sh`, `wget -O- … | bash` and the like: a download run unchecked. */
const REMOTE_SCRIPT = /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|da|z|k)?sh\b/;

function baseImageProblem(from: From, globalArgs: Map<string, string>, stages: readonly string[]): BaseProblem | undefined {
    const written =
        from
            .getArguments()
            .map((a) => a.getValue())
            .filter((a) => !a.startsWith("--"))[0] ?? "";
    return imageProblem(written, globalArgs, stages);
}

/**
 * `COPY --from=<image>` pulls files from an image that is not a stage of
 * this recipe: the same pinning rules as a base image apply to it.
 */
function copyFromProblem(copy: Copy, globalArgs: Map<string, string>, stages: readonly string[]): BaseProblem | undefined {
    const from = copy.getFromFlag()?.getValue() ?? undefined;
    if (from === undefined || /^\d+$/.test(from)) {
        return undefined; // no --from, or a stage by index
    }
    const problem = imageProblem(from, globalArgs, stages);
    return (
        problem && {
            ...problem,
            message: problem.message.replace(/^base image/, "COPY --from image"),
            fix: problem.fix.replace("FROM ", "COPY --from="),
        }
    );
}

function imageProblem(written: string, globalArgs: Map<string, string>, stages: readonly string[]): BaseProblem | undefined {
    const image = written.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => globalArgs.get(name) ?? m);
    if (image.includes("$")) {
        return {
            severity: "warning",
            rule: "base-unresolved",
            message: `base image "${written}" depends on a build arg without a default, so it cannot be checked`,
            fix: "give the ARG a default that pins the image, or write the image in the FROM line",
        };
    }
    if (image.toLowerCase() === "scratch" || stages.includes(image.toLowerCase())) {
        return undefined; // no base, or an earlier stage of this recipe
    }
    const [nameAndTag, digest] = image.split("@");
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const name = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
    const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
    const example = `${name}:<exact version>@sha256:<digest>`;
    if (tag === "latest") {
        return {
            severity: "error",
            rule: "base-latest",
            message: `base image "${image}" uses "latest", which moves with every upstream release`,
            fix: `pin an exact version and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined && tag === undefined) {
        return {
            severity: "error",
            rule: "base-unversioned",
            message: `base image "${image}" has no tag, so it resolves to whatever the registry serves today`,
            fix: `pin an exact version and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined && tag !== undefined && !isExactVersion(tag)) {
        return {
            severity: "error",
            rule: "base-unversioned",
            message: `base image tag "${tag}" is not an exact version; it is moved to each new patch release`,
            fix: `name the full version (e.g. ${name}:3.11.7-bookworm) and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined) {
        return {
            severity: "warning",
            rule: "base-no-digest",
            message: `base image "${image}" has no digest; even an exact tag can be re-pushed`,
            fix: `append the digest: FROM ${image}@sha256:<digest> (docker buildx imagetools inspect ${image} shows it)`,
        };
    }
    return undefined;
}

/** `3.7.1-stretch`, `1.25.3-alpine`, `bookworm-20240110`: a full version or a date stamp. */
function isExactVersion(tag: string): boolean {
    return /(^|[^0-9.])\d+\.\d+\.\d+/.test(tag) || /(^|\D)20\d{6}(\D|$)/.test(tag);
}

/**
 * The final stage must carry the commit it was built from, the origin
 * story's convention: `ARG git_hash` and `LABEL git_hash=$git_hash`.
 */
function commitLabelProblems(instructions: Instruction[], froms: From[], file: string): Finding[] {
    const last = froms[froms.length - 1];
    if (!last) {
        return [
            finding(file, 1, "error", {
                rule: "no-from",
                message: "the recipe has no FROM instruction",
                fix: "start the recipe with FROM <image>:<exact version>@sha256:<digest>",
            }),
        ];
    }
    const finalStage = instructions.filter((i) => i.getRange().start.line > last.getRange().start.line);
    const line = last.getRange().start.line + 1;
    const hasArg = finalStage.some((i) => i.getKeyword() === "ARG" && (i as Arg).getProperty()?.getName() === "git_hash");
    const label = finalStage
        .filter((i): i is Label => i.getKeyword() === "LABEL")
        .flatMap((l) => l.getProperties())
        .find((p) => p.getName() === "git_hash");
    const out: Finding[] = [];
    if (!hasArg) {
        out.push(
            finding(file, line, "error", {
                rule: "git-hash-missing",
                message: "the final stage declares no ARG git_hash, so the image cannot record its commit",
                fix: "add after the last FROM: ARG git_hash (pinned passes the commit as this build arg)",
            }),
        );
    }
    const value = label?.getValue() ?? undefined;
    if (!label) {
        out.push(
            finding(file, line, "error", {
                rule: "git-hash-missing",
                message: "the final stage has no LABEL git_hash, so the image does not say which commit it is",
                fix: "add after ARG git_hash: LABEL git_hash=$git_hash",
            }),
        );
    } else if (value !== "$git_hash" && value !== "${git_hash}") {
        out.push(
            finding(file, label.getRange().start.line + 1, "error", {
                rule: "git-hash-missing",
                message: `LABEL git_hash is "${value}", not the build arg`,
                fix: "write LABEL git_hash=$git_hash",
            }),
        );
    }
    return out;
}

/**
 * The Deployment runs with `runAsNonRoot`, which the kubelet can check only
 * for a numeric user: the final stage must say `USER <uid>` with a uid
 * other than 0, or the pod never starts (CreateContainerConfigError).
 */
function userProblems(instructions: Instruction[], froms: From[], file: string): Finding[] {
    const last = froms[froms.length - 1];
    if (!last) {
        return [];
    }
    const user = instructions.filter((i) => i.getKeyword() === "USER" && i.getRange().start.line > last.getRange().start.line).pop();
    const value = user?.getArgumentsContent()?.trim();
    const uid = value?.split(":")[0];
    if (uid !== undefined && /^\d+$/.test(uid) && Number(uid) !== 0) {
        return [];
    }
    return [
        finding(file, (user ?? last).getRange().start.line + 1, "error", {
            rule: "user-not-numeric",
            message: user
                ? `USER ${value} is ${uid && /^\d+$/.test(uid) ? "root" : "not a numeric uid"}, but the pod runs with runAsNonRoot, which needs a numeric uid other than 0`
                : "the final stage sets no USER, but the pod runs with runAsNonRoot, which needs a numeric uid other than 0",
            fix: "add after the last FROM: USER 65534 (or another numeric uid that is not 0)",
        }),
    ];
}

function runCommands(run: Run): SimpleCommand[] {
    // RUN options such as --mount=… belong to RUN, not to the command.
    const content = (run.getArgumentsContent() ?? "").replace(/^(\s*--[a-z-]+=\S+)+\s*/, "");
    const argv = execForm(content);
    // ["sh", "-c", "…"] is a shell line in disguise; execCommands splits it.
    return argv ? execCommands(argv) : simpleCommands(content);
}

/** `python`, `python3.11`, `pip3`, `/usr/bin/python3 -m …`: a command that runs Python and can write .pyc files. */
function runsPython(argv: readonly string[]): boolean {
    const base = argv[0]?.split("/").pop() ?? "";
    return /^(python|pip)[0-9.]*$/.test(base);
}

/**
 * The variables a RUN sees from its stage, instruction by instruction: the
 * stage's ARGs (declared after its FROM; an ARG before the first FROM is
 * not seen inside a stage) and ENVs, and the ENVs of the stage it is built
 * FROM. An ARG counts as set whether or not it has a default, since the
 * build passes it (pinned passes SOURCE_DATE_EPOCH and git_hash); an ENV
 * counts when its value is not empty once its variables are expanded.
 */
class StageVariables {
    private current: Map<string, boolean> | undefined;
    private env = new Map<string, boolean>();
    private readonly envOfStage = new Map<string, Map<string, boolean>>();

    see(instruction: Instruction): void {
        const keyword = instruction.getKeyword();
        if (keyword === "FROM") {
            const from = instruction as From;
            const parent = this.envOfStage.get((from.getImage() ?? "").toLowerCase());
            this.env = new Map(parent);
            this.current = new Map(this.env);
            const stage = from.getBuildStage();
            if (stage) {
                this.envOfStage.set(stage.toLowerCase(), this.env);
            }
        } else if (keyword === "ARG" && this.current) {
            const name = (instruction as Arg).getProperty()?.getName();
            if (name) {
                this.current.set(name, true);
            }
        } else if (keyword === "ENV" && this.current) {
            for (const p of (instruction as Env).getProperties()) {
                const value = expandsNonEmpty(p.getValue() ?? "", (n) => this.current?.get(n) === true);
                this.current.set(p.getName(), value);
                this.env.set(p.getName(), value);
            }
        }
    }

    /**
     * Whether `name` is set, not empty, for a command of the current RUN,
     * which may set it itself (`NAME=value cmd`, `export NAME=value`).
     */
    isSet(name: string, command: SimpleCommand): boolean {
        const fromStage = (n: string) => this.current?.get(n) === true;
        const own = command.env.get(name);
        if (own === undefined) {
            return fromStage(name);
        }
        // `$OTHER` in the value is the line's own OTHER if it sets one; `$NAME` is the stage's.
        const other = (n: string) => {
            const value = n === name ? undefined : command.env.get(n);
            return value === undefined ? fromStage(n) : expandsNonEmpty(value, fromStage);
        };
        return expandsNonEmpty(own, other);
    }
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

function finding(file: string, line: number, severity: Severity, p: Problem): Finding {
    return { file, line, severity, rule: p.rule, message: p.message, fix: p.fix };
}
