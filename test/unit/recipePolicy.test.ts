import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatFinding, hasErrors } from "../../core/policy/finding";
import { lintDockerfile, lintDockerfileFile } from "../../core/policy/recipePolicy";

const D = `sha256:${"e3".repeat(32)}`;
const BASE = `python:3.11.7-bookworm@${D}`;
/** The lines every passing recipe ends with: the commit stamp and a non-root numeric user. */
const STAMP = "ARG git_hash\nLABEL git_hash=$git_hash\nUSER 65534";
const CONTEXT = path.join(__dirname, "..", "fixtures", "context");

interface Case {
    readonly name: string;
    readonly recipe: string;
    /** `line rule` for every finding, in order. */
    readonly expect: string[];
    readonly strict?: boolean;
    /** Only for cases whose findings are all warnings. */
    readonly passes?: boolean;
}

const cases: Case[] = [
    { name: "pinned base, git_hash label", recipe: `FROM ${BASE}\n${STAMP}\n`, expect: [], passes: true },
    {
        name: "the origin story's bad recipe",
        recipe: "FROM python\nRUN pip install numpy\n",
        expect: ["1 base-unversioned", "1 git-hash-missing", "1 git-hash-missing", "1 user-not-numeric", "2 pip-unpinned"],
    },
    { name: "latest", recipe: `FROM python:latest\n${STAMP}\n`, expect: ["1 base-latest"] },
    { name: "latest even with a registry port", recipe: `FROM 127.0.0.1:5000/python:latest\n${STAMP}\n`, expect: ["1 base-latest"] },
    { name: "major-only tag", recipe: `FROM python:3\n${STAMP}\n`, expect: ["1 base-unversioned"] },
    { name: "minor tag", recipe: `FROM python:3.11-slim\n${STAMP}\n`, expect: ["1 base-unversioned"] },
    { name: "exact tag without digest warns", recipe: `FROM python:3.7.1-stretch\n${STAMP}\n`, expect: ["1 base-no-digest"], passes: true },
    {
        name: "exact tag without digest fails --strict",
        recipe: `FROM python:3.7.1-stretch\n${STAMP}\n`,
        expect: ["1 base-no-digest"],
        strict: true,
    },
    {
        name: "date-stamped tag counts as exact",
        recipe: `FROM debian:bookworm-20240110\n${STAMP}\n`,
        expect: ["1 base-no-digest"],
        passes: true,
    },
    { name: "digest without tag is pinned", recipe: `FROM python@${D}\n${STAMP}\n`, expect: [], passes: true },
    {
        name: "registry with port and path",
        recipe: `FROM 127.0.0.1:5000/pinned/python:3.11.2-bookworm@${D}\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "multi-stage: FROM an earlier stage is fine",
        recipe: `FROM ${BASE} AS build\nRUN true\nFROM build\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "multi-stage: stage names are case-insensitive",
        recipe: `FROM ${BASE} AS Builder\nFROM builder\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "multi-stage: unpinned second base",
        recipe: `FROM ${BASE} AS build\nFROM node:20\nCOPY --from=build /a /a\n${STAMP}\n`,
        expect: ["2 base-unversioned"],
    },
    { name: "scratch", recipe: `FROM scratch\n${STAMP}\n`, expect: [], passes: true },
    { name: "base from a global ARG default", recipe: `ARG BASE=${BASE}\nFROM $BASE\n${STAMP}\n`, expect: [], passes: true },
    {
        name: "base from an ARG default that is unpinned",
        recipe: `ARG BASE=python\nFROM \${BASE}\n${STAMP}\n`,
        expect: ["2 base-unversioned"],
    },
    { name: "base from an ARG without default", recipe: `ARG BASE\nFROM $BASE\n${STAMP}\n`, expect: ["2 base-unresolved"], passes: true },
    {
        name: "pip pinned",
        recipe: `FROM ${BASE}\nRUN pip install --no-cache-dir numpy==1.26.4 'flask[async]==3.0.0'\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "pip range is not a pin",
        recipe: `FROM ${BASE}\nRUN pip install "numpy>=1.26" flask==3.*\n${STAMP}\n`,
        expect: ["2 pip-unpinned"],
    },
    {
        name: "python -m pip, upgrade pip unpinned",
        recipe: `FROM ${BASE}\nRUN python3 -m pip install --upgrade pip\n${STAMP}\n`,
        expect: ["2 pip-unpinned"],
    },
    {
        name: "pip3 after && and sudo",
        recipe: `FROM ${BASE}\nRUN apt-get update && sudo pip3 install requests\n${STAMP}\n`,
        expect: ["2 pip-unpinned"],
    },
    {
        name: "pip index option values are not packages",
        recipe: `FROM ${BASE}\nRUN pip install -i http://mirror/simple --trusted-host mirror numpy==1.26.4\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "pip local wheel and VCS at a commit",
        recipe: `FROM ${BASE}\nRUN pip install ./dist/app-1.0-py3-none-any.whl git+https://example.org/lib.git@${"f".repeat(40)}\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "requirements file, every line pinned",
        recipe: `FROM ${BASE}\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "requirements file with ranges",
        recipe: `FROM ${BASE}\nCOPY loose.txt /app/\nRUN pip install -r /app/loose.txt\n${STAMP}\n`,
        expect: ["3 pip-unpinned"],
    },
    {
        name: "nested requirements, pinned",
        recipe: `FROM ${BASE}\nCOPY . /src\nRUN pip install --requirement=/src/nested.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "nested requirements, loose inside",
        recipe: `FROM ${BASE}\nCOPY . /src\nRUN pip install -r/src/nested-loose.txt\n${STAMP}\n`,
        expect: ["3 pip-unpinned"],
    },
    {
        name: "requirements file not in context",
        recipe: `FROM ${BASE}\nRUN pip install -r /missing/reqs.txt\n${STAMP}\n`,
        expect: ["2 pip-requirements-unreadable"],
    },
    {
        name: "apt-get pinned",
        recipe: `FROM ${BASE}\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 && rm -rf /var/lib/apt/lists/*\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "apt-get unpinned over continuation lines",
        recipe: `FROM ${BASE}\nRUN apt-get update \\\n && apt-get install -y \\\n    curl \\\n    git=1:2.39.5-0+deb12u1\n${STAMP}\n`,
        expect: ["2 apt-unpinned"],
    },
    {
        name: "apt with -o option value",
        recipe: `FROM ${BASE}\nRUN apt install -o Dpkg::Options::=--force-confold -y vim\n${STAMP}\n`,
        expect: ["2 apt-unpinned"],
    },
    { name: "apt-get upgrade", recipe: `FROM ${BASE}\nRUN apt-get update && apt-get -y upgrade\n${STAMP}\n`, expect: ["2 apt-upgrade"] },
    {
        name: "npm exact",
        recipe: `FROM ${BASE}\nRUN npm install -g typescript@5.9.3 @types/node@20.19.43\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    { name: "npm range and bare", recipe: `FROM ${BASE}\nRUN npm i express@^4 lodash\n${STAMP}\n`, expect: ["2 npm-unpinned"] },
    { name: "npm install without packages", recipe: `FROM ${BASE}\nRUN npm install\n${STAMP}\n`, expect: ["2 npm-unpinned"] },
    { name: "npm ci is pinned by the lock file", recipe: `FROM ${BASE}\nRUN npm ci --omit dev\n${STAMP}\n`, expect: [], passes: true },
    {
        name: "apk pinned with --virtual",
        recipe: `FROM ${BASE}\nRUN apk add --no-cache --virtual .build gcc=13.2.1_git20231014-r0\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    { name: "apk unpinned", recipe: `FROM ${BASE}\nRUN apk add --no-cache curl\n${STAMP}\n`, expect: ["2 apk-unpinned"] },
    { name: "exec-form RUN", recipe: `FROM ${BASE}\nRUN ["pip", "install", "numpy"]\n${STAMP}\n`, expect: ["2 pip-unpinned"] },
    { name: "exec-form sh -c", recipe: `FROM ${BASE}\nRUN ["/bin/sh", "-c", "apk add curl"]\n${STAMP}\n`, expect: ["2 apk-unpinned"] },
    {
        name: "RUN --mount flag is not a command",
        recipe: `FROM ${BASE}\nRUN --mount=type=cache,target=/root/.cache pip install numpy==1.26.4\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "secret build args",
        recipe: `FROM ${BASE}\nARG DB_PASSWORD\nARG GITHUB_TOKEN=x\nARG api_key\nARG CLIENT_SECRET\n${STAMP}\n`,
        expect: ["2 secret-build-arg", "3 secret-build-arg", "4 secret-build-arg", "5 secret-build-arg"],
    },
    { name: "git_hash ARG without LABEL", recipe: `FROM ${BASE}\nARG git_hash\nUSER 65534\n`, expect: ["1 git-hash-missing"] },
    {
        name: "git_hash LABEL hard-coded",
        recipe: `FROM ${BASE}\nARG git_hash\nLABEL git_hash=abc123\nUSER 65534\n`,
        expect: ["3 git-hash-missing"],
    },
    {
        name: "git_hash in an earlier stage only",
        recipe: `FROM ${BASE} AS build\n${STAMP}\nFROM ${BASE}\nCOPY --from=build /a /a\n`,
        expect: ["5 git-hash-missing", "5 git-hash-missing", "5 user-not-numeric"],
    },
    {
        name: "git_hash label with braces and other labels",
        recipe: `FROM ${BASE}\nARG git_hash\nLABEL maintainer=team git_hash=\${git_hash}\nUSER 65534:65534\n`,
        expect: [],
        passes: true,
    },
    {
        name: "no USER: the pod's runAsNonRoot cannot be checked",
        recipe: `FROM ${BASE}\nARG git_hash\nLABEL git_hash=$git_hash\n`,
        expect: ["1 user-not-numeric"],
    },
    { name: "USER root by uid", recipe: `FROM ${BASE}\n${STAMP}\nUSER 0\n`, expect: ["5 user-not-numeric"] },
    { name: "USER by name", recipe: `FROM ${BASE}\n${STAMP}\nUSER nobody\n`, expect: ["5 user-not-numeric"] },
    {
        name: "USER set only in an earlier stage",
        recipe: `FROM ${BASE} AS b\nUSER 1000\nFROM ${BASE}\nARG git_hash\nLABEL git_hash=$git_hash\n`,
        expect: ["3 user-not-numeric"],
    },
    {
        name: "ADD of a remote URL",
        recipe: `FROM ${BASE}\nADD https://example.org/tool.tgz /opt/\n${STAMP}\n`,
        expect: ["2 add-remote-url"],
        passes: true,
    },
    {
        name: "ADD of a remote URL with a checksum",
        recipe: `FROM ${BASE}\nADD --checksum=sha256:${"1".repeat(64)} https://example.org/tool.tgz /opt/\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "syntax directive pulls a frontend",
        recipe: `# syntax=docker/dockerfile:1\nFROM ${BASE}\n${STAMP}\n`,
        expect: ["1 syntax-directive"],
        passes: true,
    },
    { name: "no FROM at all", recipe: "RUN true\n", expect: ["1 no-from"] },
    {
        name: "COPY --from an external image with latest",
        recipe: `FROM ${BASE}\nCOPY --from=alpine:latest /bin/sh /sh\n${STAMP}\n`,
        expect: ["2 base-latest"],
    },
    {
        name: "COPY --from an external image without a tag",
        recipe: `FROM ${BASE}\nCOPY --from=busybox /bin/sh /sh\n${STAMP}\n`,
        expect: ["2 base-unversioned"],
    },
    {
        name: "COPY --from a pinned external image",
        recipe: `FROM ${BASE}\nCOPY --from=${BASE} /bin/sh /sh\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "COPY --from an earlier stage, by name and by index",
        recipe: `FROM ${BASE} AS build\nFROM ${BASE}\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "curl piped into sh",
        recipe: `FROM ${BASE}\nRUN curl -fsSL https://get.example/install.sh | sh\n${STAMP}\n`,
        expect: ["2 remote-script"],
    },
    {
        name: "wget piped into sudo bash",
        recipe: `FROM ${BASE}\nRUN wget -qO- https://x.example/i | sudo bash -s\n${STAMP}\n`,
        expect: ["2 remote-script"],
    },
    {
        name: "a download checked before it runs is fine",
        recipe: `FROM ${BASE}\nRUN curl -fsSLo /i.sh https://x.example/i.sh && echo "ab  /i.sh" | sha256sum -c - && sh /i.sh\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
];

describe("recipe policy", () => {
    it("has at least 30 recipes in its table", () => assert.ok(cases.length >= 30, String(cases.length)));

    for (const c of cases) {
        it(c.name, () => {
            const findings = lintDockerfile(c.recipe, "Dockerfile", { strict: c.strict, contextDir: CONTEXT });
            assert.deepStrictEqual(
                findings.map((f) => `${f.line} ${f.rule}`),
                c.expect,
                findings.map(formatFinding).join("\n"),
            );
            assert.strictEqual(hasErrors(findings), !c.passes, "error status");
            for (const f of findings) {
                assert.ok(f.message.length > 10 && f.fix.length > 10, `${f.rule} needs a message and a fix`);
            }
        });
    }

    it("formats findings as file:line: rule: [severity] message — fix", () => {
        const [f] = lintDockerfile(`FROM python:latest\n${STAMP}\n`, "app/Dockerfile");
        assert.match(formatFinding(f), /^app\/Dockerfile:1: base-latest: \[error\] .+ — pin an exact version/);
    });

    it("never reads a requirements file outside the build context, nor prints what it holds", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-context-"));
        try {
            fs.mkdirSync(path.join(dir, "context"));
            fs.writeFileSync(path.join(dir, "secrets.txt"), "token-5f2b9c1e-do-not-print\n");
            fs.symlinkSync(path.join(dir, "secrets.txt"), path.join(dir, "context", "linked.txt"));
            for (const file of ["/../secrets.txt", "../secrets.txt", "linked.txt"]) {
                const findings = lintDockerfile(`FROM ${BASE}\nRUN pip install -r ${file}\n${STAMP}\n`, "Dockerfile", {
                    contextDir: path.join(dir, "context"),
                });
                assert.deepStrictEqual(
                    findings.map((f) => `${f.line} ${f.rule}`),
                    ["2 pip-requirements-unreadable"],
                    file,
                );
                assert.ok(!findings.map(formatFinding).join("\n").includes("token-5f2b9c1e"), "the file's content is never printed");
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reports a missing file as a finding, not a crash", () => {
        const [f] = lintDockerfileFile("/nonexistent/Dockerfile");
        assert.strictEqual(f.rule, "recipe-unreadable");
        assert.match(f.message, /does not exist/);
    });
});
