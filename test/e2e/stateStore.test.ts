import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir, localStore, storeCredentials } from "../../core/localCache";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
    output: string;
}

/** The marker and shape the engine gives a secret value in a deployment. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Two machines share one stack through the embedded S3-compatible store
 * (scripts/env/store.sh): the project's own pulumi CLI on each, each with
 * its own HOME and PULUMI_HOME and its own copy of the project, the same
 * backend URL and credentials. No program runs: machine A gives its stack a
 * state with `stack import`. Against the real running store.
 */
describe("the embedded state store: one stack, two machines", function () {
    this.timeout(5 * 60 * 1000);
    // Unique per run: concurrent runs share the bucket, and stacks live under their project.
    const project = `pinned-e2e-store-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const stack = "team-a";
    const passphrase = crypto.randomBytes(16).toString("hex");
    let store: { url: string; credentialsFile: string; endpoint: string; bucket: string };
    let creds: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
    let pulumiBin: string;
    let root: string;
    let stackCreated = false;

    /** A machine: its own HOME, PULUMI_HOME and project directory (only Pulumi.yaml). */
    function machine(name: string): { home: string; dir: string } {
        const home = path.join(root, name, "home");
        const dir = path.join(root, name, "project");
        fs.mkdirSync(home, { recursive: true });
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
        return { home, dir };
    }

    /** `pulumi ARGS` on a machine, with nothing from this process's environment but PATH. */
    function pulumi(on: { home: string; dir: string }, args: string[], secretKey = creds.AWS_SECRET_ACCESS_KEY): Run {
        const r = spawnSync(pulumiBin, args, {
            cwd: on.dir,
            encoding: "utf8",
            timeout: 120_000,
            env: {
                PATH: process.env.PATH,
                HOME: on.home,
                PULUMI_HOME: path.join(on.home, ".pulumi"),
                PULUMI_BACKEND_URL: store.url,
                AWS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID,
                AWS_SECRET_ACCESS_KEY: secretKey,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_CONFIG_PASSPHRASE: passphrase,
            },
        });
        const stderr = `${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}`;
        return { status: r.status, stdout: r.stdout ?? "", stderr, output: `$ pulumi ${args.join(" ")}\n${r.stdout ?? ""}\n${stderr}` };
    }

    function ok(r: Run): Run {
        assert.strictEqual(r.status, 0, r.output);
        return r;
    }

    /**
     * A SigV4-signed request to the store with curl (the credentials in a
     * config on stdin, as scripts/env/store.sh does): status and body.
     */
    function s3(method: string, pathAndQuery: string): { code: string; body: string } {
        const r = spawnSync(
            "curl",
            ["-s", "-m", "10", "-K", "-", "-X", method, "-w", "\n%{http_code}", `${store.endpoint}/${store.bucket}${pathAndQuery}`],
            {
                encoding: "utf8",
                input:
                    `user = "${creds.AWS_ACCESS_KEY_ID}:${creds.AWS_SECRET_ACCESS_KEY}"\n` +
                    `aws-sigv4 = "aws:amz:us-east-1:s3"\n` +
                    // versitygw requires it, and curl 7.88 does not send it.
                    `header = "x-amz-content-sha256: ${crypto.createHash("sha256").update("").digest("hex")}"\n`,
            },
        );
        const out = r.stdout ?? "";
        const cut = out.lastIndexOf("\n");
        return { code: out.slice(cut + 1), body: out.slice(0, cut) };
    }

    /** The keys in the bucket under .pulumi/ that belong to this run's project. */
    function projectKeys(): string[] {
        // The prefix given encoded: curl 7.88 signs the query as written, the
        // store checks it encoded ("/" as %2F), and "/" then fails the signature.
        const listed = s3("GET", "?list-type=2&prefix=.pulumi%2F");
        assert.strictEqual(listed.code, "200", listed.body);
        assert.doesNotMatch(listed.body, /<IsTruncated>true<\/IsTruncated>/, "the listing is not truncated");
        return [...listed.body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]).filter((k) => k.split("/").includes(project));
    }

    let a: { home: string; dir: string };
    let b: { home: string; dir: string };

    before(() => {
        // Fails, never skips: the claim needs the real store.
        const status = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "env", "store.sh"), "status"], { encoding: "utf8" });
        if (status.status !== 0) {
            throw new Error(`the state store is not ready:\n${status.stdout}${status.stderr}\nrun: npx pinned env up store`);
        }
        const found = localStore(cacheDir(process.env));
        if (!found) {
            throw new Error(`no ${path.join(cacheDir(process.env), "store.env")}; run: npx pinned env up store`);
        }
        store = found;
        creds = storeCredentials(store.credentialsFile);
        pulumiBin = path.join(cacheDir(process.env), "bin", "pulumi");
        if (!fs.existsSync(pulumiBin)) {
            throw new Error(`the pulumi CLI is not built (no ${pulumiBin}); run: npx pinned env up pulumi`);
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-state-store-"));
        a = machine("a");
        b = machine("b");
    });

    after(function () {
        if (!root) {
            return;
        }
        try {
            if (stackCreated) {
                ok(pulumi(a, ["stack", "rm", "--yes", "--force", "--stack", stack]));
                // `stack rm` leaves the stack's .json.bak: remove every object of this run's project.
                for (const key of projectKeys()) {
                    const deleted = s3("DELETE", `/${key.split("/").map(encodeURIComponent).join("/")}`);
                    assert.strictEqual(deleted.code, "204", `DELETE ${key}: HTTP ${deleted.code} ${deleted.body}`);
                }
                assert.deepStrictEqual(projectKeys(), [], `objects of project ${project} left in the store`);
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    let exportedByA: unknown;

    it("machine A logs in, makes the stack, sets its config and gives it a state (an output and a secret output)", () => {
        const login = ok(pulumi(a, ["login"]));
        assert.ok(login.stdout.includes(`(${store.url})`), login.output);
        ok(pulumi(a, ["stack", "init", stack]));
        stackCreated = true;
        ok(pulumi(a, ["config", "set", "greeting", "hello from A"]));
        // A secret in a deployment is the JSON of its value, encrypted: encrypting
        // the JSON text of "s3cr3t" as a config secret gives that ciphertext.
        ok(pulumi(a, ["config", "set", "--secret", "token", JSON.stringify("s3cr3t")]));
        const stackFile = fs.readFileSync(path.join(a.dir, `Pulumi.${stack}.yaml`), "utf8");
        assert.match(stackFile, /greeting: hello from A/);
        const ciphertext = /token:\s*\n\s*secure: (\S+)/.exec(stackFile)?.[1];
        assert.ok(ciphertext, stackFile);

        const empty = JSON.parse(ok(pulumi(a, ["stack", "export"])).stdout);
        assert.strictEqual(empty.deployment.secrets_providers?.type, "passphrase", JSON.stringify(empty));
        empty.deployment.resources = [
            {
                urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`,
                custom: false,
                type: "pulumi:pulumi:Stack",
                outputs: { greeting: "hello from A", token: { [SECRET_SIG]: SECRET_SIG_VALUE, ciphertext } },
            },
        ];
        const file = path.join(root, "state.json");
        fs.writeFileSync(file, JSON.stringify(empty));
        ok(pulumi(a, ["stack", "import", "--file", file]));

        exportedByA = JSON.parse(ok(pulumi(a, ["stack", "export"])).stdout);
        assert.deepStrictEqual(JSON.parse(ok(pulumi(a, ["stack", "output", "--json", "--show-secrets"])).stdout), {
            greeting: "hello from A",
            token: "s3cr3t",
        });
    });

    it("machine B (another HOME and PULUMI_HOME, no stack file) lists the stack and exports the same state", () => {
        assert.ok(exportedByA, "machine A's state (the test before)");
        const listed = JSON.parse(ok(pulumi(b, ["stack", "ls", "--all", "--json"])).stdout) as Array<{
            name: string;
            resourceCount?: number;
        }>;
        const mine = listed.find((s) => s.name === stack || s.name === `organization/${project}/${stack}`);
        assert.ok(mine, `${stack} of ${project} not in: ${JSON.stringify(listed)}`);
        assert.strictEqual(mine.resourceCount, 1);
        assert.deepStrictEqual(JSON.parse(ok(pulumi(b, ["stack", "export", "--stack", stack])).stdout), exportedByA);
        // The passphrase's salt travels in the state: B decrypts A's secret with the passphrase alone.
        assert.ok(!fs.existsSync(path.join(b.dir, `Pulumi.${stack}.yaml`)));
        assert.deepStrictEqual(JSON.parse(ok(pulumi(b, ["stack", "output", "--stack", stack, "--json", "--show-secrets"])).stdout), {
            greeting: "hello from A",
            token: "s3cr3t",
        });
    });

    it("a wrong secret key is refused by the store (SignatureDoesNotMatch, HTTP 403)", () => {
        const wrong = crypto.randomBytes(20).toString("hex");
        assert.notStrictEqual(wrong, creds.AWS_SECRET_ACCESS_KEY);
        const r = pulumi(b, ["stack", "ls", "--all"], wrong);
        assert.notStrictEqual(r.status, 0, r.output);
        assert.match(r.stderr, /StatusCode: 403/, r.output);
        assert.match(
            r.stderr,
            /SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided/,
            r.output,
        );
        assert.doesNotMatch(r.stdout, new RegExp(project), "nothing listed");
    });
});
