import { Severity } from "./finding";
import { expandsNonEmpty, operands, optionValues } from "./shellCommands";

/** A finding without its place; the caller knows file and line. */
export interface Problem {
    readonly rule: string;
    readonly message: string;
    readonly fix: string;
    /** @default "error" */
    readonly severity?: Severity;
}

/** Reads a requirements file named in a RUN line, or undefined if it cannot. */
export type RequirementsReader = (pathInImage: string) => { path: string; text: string } | undefined;

/** Whether a variable is set, to something not empty, where the command runs. */
export type VariableCheck = (name: string) => boolean;

/**
 * Checks one simple command for package installs that do not pin exact
 * versions. An unpinned install gives whatever the index serves on the day
 * of the build — the very thing a pinned recipe exists to prevent. A pip
 * install must also check what it downloads by hash and name the index it
 * downloads from (`isSet` tells whether PIP_INDEX_URL and the like are set).
 */
export function packageProblems(
    argv: readonly string[],
    readRequirements: RequirementsReader,
    isSet: VariableCheck = () => false,
): Problem[] {
    const [cmd, ...rest] = argv;
    const base = cmd.split("/").pop() ?? cmd;
    const pipArgs = pipInstallArgs(argv);
    if (pipArgs) {
        return pipProblems(pipArgs, readRequirements, isSet);
    }
    if ((base === "apt-get" || base === "apt") && rest.includes("install")) {
        return aptProblems(rest);
    }
    if ((base === "apt-get" || base === "apt") && (rest.includes("upgrade") || rest.includes("dist-upgrade"))) {
        return [
            {
                rule: "apt-upgrade",
                message: `"${argv.join(" ")}" upgrades to whatever the archive serves on the day of the build`,
                fix: "drop the upgrade; pin the base image by digest and install exact versions (pkg=1.2-3)",
            },
        ];
    }
    if (base === "npm" && ["install", "i", "add"].includes(rest[0] ?? "")) {
        return npmProblems(rest.slice(1));
    }
    if (base === "apk" && rest[0] === "add") {
        return apkProblems(rest.slice(1));
    }
    return [];
}

const PIP_VALUED = new Set([
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--trusted-host",
    "--cache-dir",
    "--src",
    "--progress-bar",
    "--log",
    "-e",
    "--editable",
    "--config-settings",
]);

/** `name==1.2.3` or `name[extra]==1.2.3`; `==1.*` is a range, not a pin. */
const PIP_PIN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?===?[^=*,<>!~;\s]+(\s*;.*)?$/;

/** pip's general options that take a separate value, allowed before the command (`pip --log X install …`). */
const PIP_GENERAL_VALUED = new Set([
    "--python",
    "--log",
    "--log-file",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--use-feature",
    "--use-deprecated",
    "--keyring-provider",
]);

/** The arguments after `install` of `pip install …` or `python -m pip install …`, else undefined. */
export function pipInstallArgs(argv: readonly string[]): string[] | undefined {
    const [cmd, ...rest] = argv;
    const base = cmd.split("/").pop() ?? cmd;
    let args: string[];
    if (/^pip[0-9.]*$/.test(base)) {
        args = rest;
    } else if (/^python[0-9.]*$/.test(base) && rest[0] === "-m" && /^pip[0-9.]*$/.test(rest[1] ?? "")) {
        args = rest.slice(2);
    } else {
        return undefined;
    }
    let i = 0;
    while (i < args.length && args[i].startsWith("-")) {
        i += PIP_GENERAL_VALUED.has(args[i]) ? 2 : 1;
    }
    return args[i] === "install" ? args.slice(i + 1) : undefined;
}

function isLocalOrVcsPinned(spec: string): boolean {
    if (spec.startsWith(".") || spec.startsWith("/") || /\.(whl|tar\.gz|zip)$/.test(spec)) {
        return true; // a file from the build context: pinned by the commit
    }
    // A VCS URL pinned to a full commit, or an archive URL with a hash.
    return /@[0-9a-f]{40}(#.*)?$/.test(spec) || /#sha256=[0-9a-f]{64}/.test(spec);
}

/**
 * Whether pip downloads a requirement it should check by hash: anything
 * but a file of the build context (pinned by the commit), a VCS URL at a
 * full commit (which pip cannot hash) and a URL carrying `#sha256=`.
 */
function needsHash(spec: string): boolean {
    const local = !spec.includes("://") && (spec.startsWith(".") || spec.startsWith("/") || /\.(whl|tar\.gz|zip)$/.test(spec));
    return !local && !/@[0-9a-f]{40}(#.*)?$/.test(spec) && !/#sha256=[0-9a-f]{64}/.test(spec);
}

/** A `--hash` pip accepts (sha256, sha384 or sha512), as pip writes it. */
const PIP_HASH = /(^|\s)--hash[=\s]+(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})(\s|$)/;

/** PyPI itself, named as an index or a find-links page. */
const PYPI = /^(\w+:\/\/)?([^/@]*@)?(pypi\.org|pypi\.python\.org|files\.pythonhosted\.org)(:\d+)?(\/|$)/i;

interface Requirement {
    /** The requirement as written, without its options. */
    readonly spec: string;
    /** 1-based line in its file. */
    readonly line: number;
    readonly hashed: boolean;
}

interface RequirementsFile {
    readonly path: string;
    readonly requirements: Requirement[];
    /** The words of the file's option lines (`--index-url URL`, `--no-index`, …). */
    readonly options: string[];
}

function pipProblems(args: readonly string[], readRequirements: RequirementsReader, isSet: VariableCheck): Problem[] {
    const problems: Problem[] = [];
    const named = operands(args, PIP_VALUED);
    const unpinned = named.filter((p) => !PIP_PIN.test(p) && !isLocalOrVcsPinned(p));
    if (unpinned.length > 0) {
        problems.push({
            rule: "pip-unpinned",
            message: `pip installs ${list(unpinned)} without an exact version`,
            fix: `pin each with ==, e.g. ${pipExample(unpinned[0])}`,
        });
    }
    const files: RequirementsFile[] = [];
    const seen = new Set<string>();
    let unreadable = false;
    for (const file of optionValues(args, "-r", "--requirement")) {
        const missing = readRequirementsFiles(file, readRequirements, seen, files);
        unreadable ||= missing.length > 0;
        problems.push(...missing);
    }
    for (const f of files) {
        const loose = f.requirements.filter((r) => !PIP_PIN.test(r.spec) && !isLocalOrVcsPinned(r.spec));
        if (loose.length > 0) {
            problems.push({
                rule: "pip-unpinned",
                message: `${f.path} does not pin ${list(loose.map((r) => `${r.spec} (line ${r.line})`))}`,
                fix: "pin every requirement with == (pip freeze > requirements.txt gives the versions in use)",
            });
        }
    }
    problems.push(...hashProblems(args, named, files));
    problems.push(...targetProblems(args));
    if (!unreadable) {
        problems.push(...indexProblems(args, named, files, isSet));
    }
    return problems;
}

/**
 * Reads a requirements file and those it names with `-r`, each once, into
 * `out`. Returns a problem for each file that cannot be read.
 */
function readRequirementsFiles(file: string, read: RequirementsReader, seen: Set<string>, out: RequirementsFile[]): Problem[] {
    const found = read(file);
    if (!found) {
        return [
            {
                rule: "pip-requirements-unreadable",
                message: `requirements file ${file} is not in the build context, so its pins cannot be checked`,
                fix: "COPY it from the build context before the pip install that reads it",
            },
        ];
    }
    if (seen.has(found.path)) {
        return [];
    }
    seen.add(found.path);
    const parsed: RequirementsFile = { path: found.path, requirements: [], options: [] };
    out.push(parsed);
    const problems: Problem[] = [];
    // Backslash continuations join lines, as pip reads them.
    const lines = found.text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
    for (const [i, raw] of lines.entries()) {
        const line = raw.replace(/(^|\s)#.*$/, "").trim();
        if (line === "") {
            continue;
        }
        const nested = /^(?:-r|--requirement)[=\s]*(\S+)/.exec(line);
        if (nested) {
            problems.push(...readRequirementsFiles(nested[1], read, seen, out));
            continue;
        }
        if (line.startsWith("-")) {
            parsed.options.push(...line.split(/\s+/)); // --index-url, --find-links and other options
            continue;
        }
        // Joined continuation lines keep the number of the line they start on.
        parsed.requirements.push({ spec: line.split(/\s+--/)[0].trim(), line: lineNumber(found.text, i), hashed: PIP_HASH.test(line) });
    }
    return problems;
}

/** The 1-based line in `text` where the i-th line, counted after joining continuations, starts. */
function lineNumber(text: string, joinedIndex: number): number {
    const physical = text.split(/\r?\n/);
    let joined = 0;
    for (let i = 0; i < physical.length; i++) {
        if (joined === joinedIndex) {
            return i + 1;
        }
        if (!/\\$/.test(physical[i])) {
            joined++;
        }
    }
    return physical.length;
}

/**
 * A pinned version is a name, not the bytes: an index (or a mirror of it)
 * can serve another file under the same version. pip checks the bytes
 * against `--hash` options, which only a requirements file can give (or a
 * URL's `#sha256=`); once any requirement has one, pip checks every
 * requirement, so `--require-hashes` is not needed.
 */
function hashProblems(args: readonly string[], named: readonly string[], files: readonly RequirementsFile[]): Problem[] {
    const problems: Problem[] = [];
    const onCommandLine = named.filter(needsHash);
    if (onCommandLine.length > 0) {
        problems.push({
            rule: "pip-no-hashes",
            message: `pip installs ${list(onCommandLine)} from the command line, where a requirement cannot carry a --hash, so pip does not check the bytes it downloads`,
            fix:
                `list them in a requirements file with --hash=sha256:<hex> on each line (pip download ${hashExample(onCommandLine[0])} ` +
                "--no-deps -d /tmp/wheels && pip hash /tmp/wheels/* prints it), COPY it, and pip install -r it",
        });
    }
    const checking = args.includes("--require-hashes")
        ? "with --require-hashes pip checks every requirement and stops the build at these"
        : files.some((f) => f.requirements.some((r) => r.hashed))
          ? "since other requirements have one, pip checks every requirement and stops the build at these"
          : "pip installs whatever file the index serves under that version";
    for (const f of files) {
        const unhashed = f.requirements.filter((r) => !r.hashed && needsHash(r.spec));
        if (unhashed.length > 0) {
            problems.push({
                rule: "pip-no-hashes",
                message: `${f.path} gives no --hash for ${list(unhashed.map((r) => `${r.spec} (line ${r.line})`))}: ${checking}`,
                fix:
                    `add --hash=sha256:<hex> to each requirement: pip download ${hashExample(unhashed[0].spec)} --no-deps -d /tmp/wheels ` +
                    "&& pip hash /tmp/wheels/* prints it (run it for the image's Python and platform, so pip picks the same file)",
            });
        }
    }
    return problems;
}

/**
 * `pip install --target DIR` installs into a random temporary directory and
 * moves the files into DIR; the .pyc files it compiles on the way keep that
 * random path (measured: every build differed in every .pyc). Installing
 * with --no-compile, then compiling at the final path, gives the same bytes.
 */
function targetProblems(args: readonly string[]): Problem[] {
    const target = optionValues(args, "-t", "--target")[0];
    if (target === undefined || args.includes("--no-compile")) {
        return [];
    }
    return [
        {
            rule: "pip-target-compile",
            message: `pip install --target ${target} compiles .pyc files in a random temporary directory, and they keep its name, so every build differs`,
            fix: `add --no-compile, then compile at the final path: && python3 -m compileall -q --invalidation-mode checked-hash ${target}`,
        },
    ];
}

/**
 * A pip install that downloads must name where from: without an index it
 * uses PyPI, which has to be up, and serve the same files, every time the
 * image is rebuilt. An index or find-links given on the command line, in a
 * requirements file or through PIP_INDEX_URL / PIP_FIND_LINKS counts, and so
 * does --no-index; PyPI named by its address does not.
 */
function indexProblems(
    args: readonly string[],
    named: readonly string[],
    files: readonly RequirementsFile[],
    isSet: VariableCheck,
): Problem[] {
    const all = [...args, ...files.flatMap((f) => f.options)];
    const editable = optionValues(args, "-e", "--editable");
    const downloads = files.length > 0 || named.some(needsHash) || (named.length + editable.length > 0 && !args.includes("--no-deps"));
    if (!downloads) {
        return [];
    }
    const primary = [...optionValues(all, "-i", "--index-url"), ...optionValues(all, "-f", "--find-links")];
    const sources = [...primary, ...optionValues(all, "", "--extra-index-url")];
    const pypi = sources.find((s) => PYPI.test(s));
    const namesIndex =
        primary.some((s) => expandsNonEmpty(s, isSet)) ||
        all.includes("--no-index") ||
        ["PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"].some(isSet);
    if (namesIndex && pypi === undefined) {
        return [];
    }
    return [
        {
            rule: "pip-remote-index",
            severity: "warning",
            message:
                pypi === undefined
                    ? "pip install names no index, so it downloads from PyPI, which must be up, and serve the same files, whenever the image is rebuilt"
                    : `pip install downloads from ${pypi}, which must be up, and serve the same files, whenever the image is rebuilt`,
            fix: "install from a mirror you run: --index-url $PIP_INDEX_URL (pinned env up serves one on 127.0.0.1:3141)",
        },
    ];
}

const APT_VALUED = new Set(["-o", "--option", "-t", "--target-release", "-c", "--config-file"]);

function aptProblems(args: readonly string[]): Problem[] {
    const packages = operands(args, APT_VALUED).filter((a) => a !== "install");
    const unpinned = packages.filter((p) => !/^[^=]+=[^=]+$/.test(p) && !p.endsWith(".deb"));
    if (unpinned.length === 0) {
        return [];
    }
    return [
        {
            rule: "apt-unpinned",
            message: `apt installs ${list(unpinned)} without an exact version`,
            fix: `pin each as name=version, e.g. ${unpinned[0]}=<version> (apt-cache policy ${unpinned[0]} shows it)`,
        },
    ];
}

const NPM_VALUED = new Set(["--prefix", "--registry", "--cache", "-w", "--workspace", "--omit", "--include"]);
const EXACT_SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function npmProblems(args: readonly string[]): Problem[] {
    const packages = operands(args, NPM_VALUED);
    if (packages.length === 0) {
        return [
            {
                rule: "npm-unpinned",
                message: "npm install without packages resolves ranges and may rewrite the lock file",
                fix: "use npm ci, which installs exactly what package-lock.json records",
            },
        ];
    }
    const unpinned = packages.filter((p) => {
        if (p.startsWith(".") || p.startsWith("/") || p.endsWith(".tgz")) {
            return false;
        }
        const at = p.lastIndexOf("@");
        return at <= 0 || !EXACT_SEMVER.test(p.slice(at + 1));
    });
    if (unpinned.length === 0) {
        return [];
    }
    return [
        {
            rule: "npm-unpinned",
            message: `npm installs ${list(unpinned)} without an exact version`,
            fix:
                `pin each as name@x.y.z, e.g. ${unpinned[0].replace(/@[^@]*$/, "") || unpinned[0]}@1.2.3 ` +
                "— or use npm ci with a lock file",
        },
    ];
}

const APK_VALUED = new Set(["-t", "--virtual", "-X", "--repository", "--root", "-p", "--arch", "--cache-dir", "--keys-dir"]);

function apkProblems(args: readonly string[]): Problem[] {
    const unpinned = operands(args, APK_VALUED).filter((p) => !/^[^=~<>]+=[^=]+$/.test(p) && !p.endsWith(".apk"));
    if (unpinned.length === 0) {
        return [];
    }
    return [
        {
            rule: "apk-unpinned",
            message: `apk adds ${list(unpinned)} without an exact version`,
            fix: `pin each as name=version, e.g. ${unpinned[0]}=<version> (apk policy ${unpinned[0]} shows it)`,
        },
    ];
}

function list(items: readonly string[]): string {
    const shown = items
        .slice(0, 4)
        .map((i) => `"${i}"`)
        .join(", ");
    return items.length > 4 ? `${shown} and ${items.length - 4} more` : shown;
}

/** A requirement `pip download` can fetch: the spec if pinned, else `name==<version>`. */
function hashExample(spec: string): string {
    if (spec.includes("://") || PIP_PIN.test(spec)) {
        return spec.split(";")[0].trim();
    }
    return `${spec.replace(/[<>=!~[;].*$/, "").trim()}==<version>`;
}

function pipExample(spec: string): string {
    const name = spec.replace(/[<>=!~].*$/, "");
    return `${name}==<version> (pip index versions ${name} lists them)`;
}
