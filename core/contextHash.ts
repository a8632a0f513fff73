import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * A digest of everything `docker build` would read: the Dockerfile and the
 * files of the context not excluded by `.dockerignore`. Paths, modes and
 * contents count; timestamps do not, so a fresh checkout of the same commit
 * hashes the same and nothing is rebuilt.
 */
export function contextHash(contextDir: string, dockerfile: string): string {
    const hash = crypto.createHash("sha256");
    const ignored = dockerignore(contextDir);
    hash.update(`dockerfile\0${fs.readFileSync(dockerfile)}\0`);
    for (const file of listFiles(contextDir, "", ignored)) {
        const full = path.join(contextDir, file);
        const stat = fs.lstatSync(full);
        const body = stat.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full);
        hash.update(`${file}\0${stat.mode & 0o111 ? "x" : "-"}\0${body.length}\0`);
        hash.update(body);
    }
    return `sha256:${hash.digest("hex")}`;
}

function listFiles(root: string, rel: string, ignored: (p: string) => boolean): string[] {
    const out: string[] = [];
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
        const p = rel ? `${rel}/${entry.name}` : entry.name;
        if (ignored(p)) {
            continue;
        }
        if (entry.isDirectory()) {
            out.push(...listFiles(root, p, ignored));
        } else {
            out.push(p);
        }
    }
    return out;
}

/** A small reading of .dockerignore: globs with `*`, `**`, `?`, and `!` exceptions. */
function dockerignore(contextDir: string): (p: string) => boolean {
    const file = path.join(contextDir, ".dockerignore");
    if (!fs.existsSync(file)) {
        return () => false;
    }
    const rules = fs
        .readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => {
            const negate = l.startsWith("!");
            const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ""));
            return { negate, re: globToRegExp(pattern) };
        });
    return (p) => {
        let ignored = false;
        for (const rule of rules) {
            if (rule.re.test(p)) {
                ignored = !rule.negate;
            }
        }
        return ignored;
    };
}

function globToRegExp(glob: string): RegExp {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*" && glob[i + 1] === "*") {
            re += ".*";
            i++;
            if (glob[i + 1] === "/") {
                i++;
            }
        } else if (c === "*") {
            re += "[^/]*";
        } else if (c === "?") {
            re += "[^/]";
        } else {
            re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
    }
    // A pattern matching a directory excludes everything below it.
    return new RegExp(`^${re}(/.*)?$`);
}
