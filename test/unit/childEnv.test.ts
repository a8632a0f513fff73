import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CHILD_VARS, childEnv } from "../../core/childEnv";
import { readGitSource } from "../../core/git/gitSource";
import { notForEngine } from "../../pipeline/engine/workspace";
import { kubectlFor } from "../../pipeline/cluster/kubectl";
import { Env } from "../../core/env";
import { makeTempRepo, TempRepo } from "../support/tempRepo";

/** Secrets as the engine gives them to the program (PULUMI_CONFIG, decrypted) and as a user may export them. */
const SECRETS: Record<string, string> = {
    PULUMI_CONFIG: JSON.stringify({ "pinned:registryPassword": "config-secret-7d1f" }),
    PULUMI_CONFIG_PASSPHRASE: "passphrase-secret-8a2c",
    PINNED_REGISTRY_PASSWORD: "registry-secret-3b9e",
    COSIGN_PASSWORD: "cosign-secret-5e0a",
};
const SECRET_VALUES = /config-secret-7d1f|passphrase-secret-8a2c|registry-secret-3b9e|cosign-secret-5e0a/;

/**
 * Each child process gets the variables it reads (childEnv.ts), checked
 * with stand-ins first on the given environment's PATH that write their
 * environment to a file.
 */
describe("child processes get only the variables they need", () => {
    let dir: string;
    let repo: TempRepo;
    /** The environment pinned is given: this process's, with the secrets and the stand-ins first on PATH. */
    let env: Env;

    /** A stand-in for `name` that dumps its environment, then runs the real one (or exits 0). */
    const standIn = (name: string, real?: string) => {
        fs.writeFileSync(path.join(dir, "bin", name), `#!/bin/sh\nenv >> ${dir}/${name}-env\n${real ? `exec ${real} "$@"` : "exit 0"}\n`, {
            mode: 0o755,
        });
    };
    const seen = (name: string) => fs.readFileSync(path.join(dir, `${name}-env`), "utf8");

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-child-env-"));
        fs.mkdirSync(path.join(dir, "bin"));
        repo = await makeTempRepo();
        await repo.commit({ "app/server.py": "print('hi')\n" });
        env = { ...process.env, ...SECRETS, PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`, LANG: "C.UTF-8" };
    });
    afterEach(() => {
        repo.remove();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("git, as the program's git reader starts it, sees no PULUMI_CONFIG, passphrase or password", async () => {
        standIn("git", "/usr/bin/git");
        const src = await readGitSource(path.join(repo.dir, "app"), env);
        assert.match(src.commit, /^[0-9a-f]{40}$/, "the real git ran behind the stand-in");
        const gitEnv = seen("git");
        assert.doesNotMatch(gitEnv, /^PULUMI_CONFIG/m);
        assert.doesNotMatch(gitEnv, SECRET_VALUES);
        assert.match(gitEnv, /^PATH=/m);
        assert.match(gitEnv, /^LANG=C\.UTF-8$/m, "the locale passes");
    });

    it("kubectl sees its KUBECONFIG and proxies, and no secret", async () => {
        standIn("kubectl");
        await kubectlFor({ ...env, HTTPS_PROXY: "http://proxy.invalid:3128" })("/k/config", ["get", "pods"], "test");
        const kubectlEnv = seen("kubectl");
        assert.doesNotMatch(kubectlEnv, SECRET_VALUES);
        assert.match(kubectlEnv, /^HTTPS_PROXY=http:\/\/proxy\.invalid:3128$/m);
    });

    it("the engine keeps what it and the program read, and loses the rest by name", () => {
        const unset = notForEngine({}, { ...SECRETS, PATH: "/bin", npm_config_cache: "/x", PINNED_NAMESPACE: "n" });
        assert.deepStrictEqual(unset, ["-u", "COSIGN_PASSWORD", "-u", "npm_config_cache"]);
        assert.ok(!unset.some((a) => SECRET_VALUES.test(a)), "names only, never values");
        // The workspace's own settings stay whatever their names.
        assert.deepStrictEqual(notForEngine({ COSIGN_PASSWORD: "x" }, { COSIGN_PASSWORD: "y" }), []);
    });

    it("buildah gets its auth file from pinned, not the caller's secrets", () => {
        const env = childEnv(
            CHILD_VARS.buildah,
            { REGISTRY_AUTH_FILE: "/w/auth.json" },
            { ...SECRETS, PATH: "/bin", STORAGE_DRIVER: "vfs" },
        );
        assert.deepStrictEqual(env, { PATH: "/bin", STORAGE_DRIVER: "vfs", REGISTRY_AUTH_FILE: "/w/auth.json" });
    });
});
