import { operands, optionValues } from "./shellCommands";

/** A finding without its place; the caller knows file and line. */
export interface Problem {
    readonly rule: string;
    readonly message: string;
    readonly fix: string;
}

/** Reads a requirements file named in a RUN line, or undefined if it cannot. */
export type RequirementsReader = (pathInImage: string) => { path: string; text: string } | undefined;

/**
 * Checks one simple command for package installs that do not pin exact
 * versions. An unpinned install gives whatever the index serves on the day
 * of the build — the very thing a pinned recipe exists to prevent.
 */
export function packageProblems(argv: readonly string[], readRequirements: RequirementsReader): Problem[] {
    const [cmd, ...rest] = argv;
    const base = cmd.split("/").pop() ?? cmd;
    if (/^pip[0-9.]*$/.test(base) && rest[0] === "install") {
        return pipProblems(rest.slice(1), readRequirements);
    }
    if (/^python[0-9.]*$/.test(base) && rest[0] === "-m" && /^pip[0-9.]*$/.test(rest[1] ?? "") && rest[2] === "install") {
        return pipProblems(rest.slice(3), readRequirements);
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

function isLocalOrVcsPinned(spec: string): boolean {
    if (spec.startsWith(".") || spec.startsWith("/") || /\.(whl|tar\.gz|zip)$/.test(spec)) {
        return true; // a file from the build context: pinned by the commit
    }
    // A VCS URL pinned to a full commit, or an archive URL with a hash.
    return /@[0-9a-f]{40}(#.*)?$/.test(spec) || /#sha256=[0-9a-f]{64}/.test(spec);
}

function pipProblems(args: readonly string[], readRequirements: RequirementsReader): Problem[] {
    const problems: Problem[] = [];
    const unpinned = operands(args, PIP_VALUED).filter((p) => !PIP_PIN.test(p) && !isLocalOrVcsPinned(p));
    if (unpinned.length > 0) {
        problems.push({
            rule: "pip-unpinned",
            message: `pip installs ${list(unpinned)} without an exact version`,
            fix: `pin each with ==, e.g. ${pipExample(unpinned[0])}`,
        });
    }
    for (const file of optionValues(args, "-r", "--requirement")) {
        problems.push(...requirementsProblems(file, readRequirements, new Set()));
    }
    return problems;
}

function requirementsProblems(file: string, read: RequirementsReader, seen: Set<string>): Problem[] {
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
    const problems: Problem[] = [];
    const unpinned: string[] = [];
    // Backslash continuations join lines, as pip reads them.
    const lines = found.text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
    for (const [i, raw] of lines.entries()) {
        const line = raw.replace(/(^|\s)#.*$/, "").trim();
        if (line === "") {
            continue;
        }
        const nested = /^(?:-r|--requirement)[=\s]*(\S+)/.exec(line);
        if (nested) {
            problems.push(...requirementsProblems(nested[1], read, seen));
            continue;
        }
        if (line.startsWith("-")) {
            continue; // --hash, --index-url and other options
        }
        const spec = line.split(/\s+--/)[0].trim();
        if (!PIP_PIN.test(spec) && !isLocalOrVcsPinned(spec)) {
            unpinned.push(`${spec} (line ${i + 1})`);
        }
    }
    if (unpinned.length > 0) {
        problems.push({
            rule: "pip-unpinned",
            message: `${found.path} does not pin ${list(unpinned)}`,
            fix: "pin every requirement with == (pip freeze > requirements.txt gives the versions in use)",
        });
    }
    return problems;
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

function pipExample(spec: string): string {
    const name = spec.replace(/[<>=!~].*$/, "");
    return `${name}==<version> (pip index versions ${name} lists them)`;
}
