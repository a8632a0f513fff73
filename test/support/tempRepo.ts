import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { simpleGit, SimpleGit } from "simple-git";

/** A throwaway git repository with an identity, for tests that need real git. */
export interface TempRepo {
    readonly dir: string;
    readonly git: SimpleGit;
    /** Writes files (path -> content) and commits them; resolves to the commit. */
    commit(files: Record<string, string>, message?: string): Promise<string>;
    remove(): void;
}

export async function makeTempRepo(prefix = "pinned-test-"): Promise<TempRepo> {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    const git = simpleGit({ baseDir: dir });
    await git.init(["--initial-branch=main"]);
    await git.addConfig("user.name", "Pinned Test");
    await git.addConfig("user.email", "test@pinned.invalid");
    await git.addConfig("commit.gpgsign", "false");
    await git.addConfig("tag.gpgsign", "false");
    let n = 0;
    return {
        dir,
        git,
        async commit(files, message) {
            for (const [file, content] of Object.entries(files)) {
                fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                fs.writeFileSync(path.join(dir, file), content);
            }
            await git.add(".");
            await git.commit(message ?? `change ${++n}`);
            return (await git.revparse(["HEAD"])).trim();
        },
        remove() {
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** A recipe that passes `pinned lint --strict`. */
export const STRICT_DOCKERFILE = [
    `FROM 127.0.0.1:5000/pinned/python:3.11.2-bookworm@sha256:${"0".repeat(64)}`,
    "ARG git_hash",
    "LABEL git_hash=$git_hash",
    "COPY server.py /app/server.py",
    "USER 65534",
    'CMD ["python3", "/app/server.py"]',
    "",
].join("\n");
