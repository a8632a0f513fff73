import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatFinding, hasErrors } from "../../core/policy/finding";
import { baseImagesOf, lintDockerfile, lintDockerfileFile } from "../../core/policy/recipePolicy";

const D = `sha256:${"e3".repeat(32)}`;
const BASE = `python:3.11.7-bookworm@${D}`;
/** The lines every passing recipe ends with: the commit stamp and a non-root numeric user. */
const STAMP = "ARG git_hash\nLABEL git_hash=$git_hash\nUSER 65534";
/** Two lines after FROM that a stage running Python and pip needs: hash-based .pyc files and a local index. */
const PY = "ARG SOURCE_DATE_EPOCH\nARG PIP_INDEX_URL=http://127.0.0.1:3141/simple/";
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
        expect: [
            "1 base-unversioned",
            "1 git-hash-missing",
            "1 git-hash-missing",
            "1 user-not-numeric",
            "2 pip-no-hashes",
            "2 pip-remote-index",
            "2 pip-unpinned",
            "2 python-no-source-date-epoch",
        ],
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
        name: "pip pinned on the command line, where it cannot carry hashes",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install --no-cache-dir numpy==1.26.4 'flask[async]==3.0.0'\n${STAMP}\n`,
        expect: ["4 pip-no-hashes"],
    },
    {
        name: "pip range is not a pin",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install "numpy>=1.26" flask==3.*\n${STAMP}\n`,
        expect: ["4 pip-no-hashes", "4 pip-unpinned"],
    },
    {
        name: "python -m pip, upgrade pip unpinned",
        recipe: `FROM ${BASE}\n${PY}\nRUN python3 -m pip install --upgrade pip\n${STAMP}\n`,
        expect: ["4 pip-no-hashes", "4 pip-unpinned"],
    },
    {
        name: "pip3 after && and sudo",
        recipe: `FROM ${BASE}\n${PY}\nRUN apt-get update && sudo pip3 install requests\n${STAMP}\n`,
        expect: ["4 pip-no-hashes", "4 pip-unpinned"],
    },
    {
        name: "pip index option values are not packages",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -i http://mirror/simple --trusted-host mirror -r /app/hashed.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "pip local wheel and VCS at a commit",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install ./dist/app-1.0-py3-none-any.whl git+https://example.org/lib.git@${"f".repeat(40)}\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "requirements file, every line pinned, some without a hash",
        recipe: `FROM ${BASE}\n${PY}\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n${STAMP}\n`,
        expect: ["5 pip-no-hashes"],
    },
    {
        name: "requirements file with ranges",
        recipe: `FROM ${BASE}\n${PY}\nCOPY loose.txt /app/\nRUN pip install -r /app/loose.txt\n${STAMP}\n`,
        expect: ["5 pip-no-hashes", "5 pip-unpinned"],
    },
    {
        name: "nested requirements, pinned and hashed",
        recipe: `FROM ${BASE}\n${PY}\nCOPY . /src\nRUN pip install --requirement=/src/nested-hashed.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "nested requirements, pinned, without hashes in either file",
        recipe: `FROM ${BASE}\n${PY}\nCOPY . /src\nRUN pip install --requirement=/src/nested.txt\n${STAMP}\n`,
        expect: ["5 pip-no-hashes", "5 pip-no-hashes"],
    },
    {
        name: "nested requirements, loose inside",
        recipe: `FROM ${BASE}\n${PY}\nCOPY . /src\nRUN pip install -r/src/nested-loose.txt\n${STAMP}\n`,
        expect: ["5 pip-no-hashes", "5 pip-unpinned"],
    },
    {
        name: "requirements file not in context",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install -r /missing/reqs.txt\n${STAMP}\n`,
        expect: ["4 pip-requirements-unreadable"],
    },
    // Python run without SOURCE_DATE_EPOCH writes .pyc files stamped with the build's clock.
    {
        name: "python without SOURCE_DATE_EPOCH",
        recipe: `FROM ${BASE}\nRUN python3 -c "import json"\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch"],
    },
    {
        name: "python with ARG SOURCE_DATE_EPOCH after FROM",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN python3 -m compileall -q /usr/lib/python3.11\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "ARG SOURCE_DATE_EPOCH declared after the RUN",
        recipe: `FROM ${BASE}\nRUN python3 -V\nARG SOURCE_DATE_EPOCH\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch"],
    },
    {
        name: "a global ARG SOURCE_DATE_EPOCH is not seen inside the stage",
        recipe: `ARG SOURCE_DATE_EPOCH\nFROM ${BASE}\nRUN python3 -V\n${STAMP}\n`,
        expect: ["3 python-no-source-date-epoch"],
    },
    {
        name: "ENV SOURCE_DATE_EPOCH with a value",
        recipe: `FROM ${BASE}\nENV SOURCE_DATE_EPOCH=1704067200 LANG=C.UTF-8\nRUN python3 -V\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "ENV SOURCE_DATE_EPOCH empty, or from an ARG the stage does not declare",
        recipe: `FROM ${BASE}\nENV SOURCE_DATE_EPOCH=\nRUN python3 -V\nENV SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH\nRUN python3 -V\n${STAMP}\n`,
        expect: ["3 python-no-source-date-epoch", "5 python-no-source-date-epoch"],
    },
    {
        name: "ENV SOURCE_DATE_EPOCH from the declared ARG, or with a default",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nENV SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH\nFROM ${BASE}\nENV SOURCE_DATE_EPOCH=\${SOURCE_DATE_EPOCH:-0}\nRUN python3 -V\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "an ARG of an earlier stage does not reach the next one",
        recipe: `FROM ${BASE} AS build\nARG SOURCE_DATE_EPOCH\nRUN python3 -V\nFROM build\nRUN python3 -m compileall /app\n${STAMP}\n`,
        expect: ["5 python-no-source-date-epoch"],
    },
    {
        name: "an ENV of the stage built FROM does",
        recipe: `FROM ${BASE} AS build\nENV SOURCE_DATE_EPOCH=0\nFROM build\nRUN python3 -m compileall /app\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "python inside sh -c and bash -ec",
        recipe: `FROM ${BASE}\nRUN sh -c "cd /app && python3 setup.py build"\nRUN ["/bin/bash", "-ec", "true; pip3 --version"]\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch", "3 python-no-source-date-epoch"],
    },
    {
        name: "python by full path and version, exec form",
        recipe: `FROM ${BASE}\nRUN ["/usr/local/bin/python3.11", "-m", "compileall", "/app"]\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch"],
    },
    {
        name: "one finding per RUN, however many Python commands it has",
        recipe: `FROM ${BASE}\nRUN python3 -V && python -c 1; pip3 --version\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch"],
    },
    {
        name: "SOURCE_DATE_EPOCH set by the RUN line itself",
        recipe: `FROM ${BASE}\nRUN SOURCE_DATE_EPOCH=0 python3 -V\nRUN export SOURCE_DATE_EPOCH=0 && python3 -V\nRUN env SOURCE_DATE_EPOCH=0 sh -c "python3 -V"\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "SOURCE_DATE_EPOCH set by the line to an undeclared ARG, or after the command",
        recipe: `FROM ${BASE}\nRUN SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH python3 -V\nRUN python3 -V && export SOURCE_DATE_EPOCH=0\n${STAMP}\n`,
        expect: ["2 python-no-source-date-epoch", "3 python-no-source-date-epoch"],
    },
    {
        name: "python in CMD, or in a name that is not python, does not run at build time",
        recipe: `FROM ${BASE}\nRUN python3-config --help; pipx --version\n${STAMP}\nCMD ["python3", "/app/server.py"]\n`,
        expect: [],
        passes: true,
    },
    {
        name: "each stage needs its own ARG SOURCE_DATE_EPOCH",
        recipe: `FROM ${BASE} AS build\n${PY}\nRUN pip install -r /app/hashed.txt\nFROM ${BASE}\nRUN python3 -V\n${STAMP}\n`,
        expect: ["6 python-no-source-date-epoch"],
    },
    // A pinned version is a name; a --hash pins the bytes.
    {
        name: "requirements pinned and hashed from a local index",
        recipe: `FROM ${BASE}\n${PY}\nCOPY hashed.txt /app/hashed.txt\nRUN pip install --no-cache-dir --require-hashes --index-url "$PIP_INDEX_URL" --no-compile --target /app/deps -r /app/hashed.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "hashes on continuation lines, as pip-compile writes them, without --require-hashes",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install -r /app/hashed-continued.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "a requirement without a hash after a continued one",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install -r /app/continued-unhashed.txt\n${STAMP}\n`,
        expect: ["4 pip-no-hashes"],
    },
    {
        name: "an md5 hash is not one pip accepts",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install -r /app/weak-hash.txt\n${STAMP}\n`,
        expect: ["4 pip-no-hashes"],
    },
    {
        name: "a command-line package next to a hashed file, even with --require-hashes",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install --require-hashes -r /app/hashed.txt idna==3.10\n${STAMP}\n`,
        expect: ["4 pip-no-hashes"],
    },
    {
        name: "an archive URL with #sha256= is checked by pip; one without is not",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip install https://example.org/a-1.0.tar.gz#sha256=${"1".repeat(64)}\nRUN pip install https://example.org/b-1.0.tar.gz\n${STAMP}\n`,
        expect: ["5 pip-no-hashes"],
    },
    {
        name: "pip's general options before install",
        recipe: `FROM ${BASE}\n${PY}\nRUN pip --no-cache-dir --log /tmp/pip.log install numpy==1.26.4\n${STAMP}\n`,
        expect: ["4 pip-no-hashes"],
    },
    {
        name: "pip install inside sh -c",
        recipe: `FROM ${BASE}\n${PY}\nRUN sh -c "cd /app && pip install requests"\n${STAMP}\n`,
        expect: ["4 pip-no-hashes", "4 pip-unpinned"],
    },
    // pip --target compiles in a random temporary directory whose name the .pyc files keep.
    {
        name: "pip install --target without --no-compile",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -i http://127.0.0.1:3141/simple/ --target /app/deps -r /app/hashed.txt\n${STAMP}\n`,
        expect: ["3 pip-target-compile"],
    },
    {
        name: "pip install --target=DIR --no-compile, compiled after",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -i http://127.0.0.1:3141/simple/ --no-compile --target=/app/deps -r /app/hashed.txt && python3 -m compileall -q /app/deps\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    // Without an index of its own, pip downloads from PyPI at every rebuild.
    {
        name: "hashed requirements from PyPI warn",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -r /app/hashed.txt\n${STAMP}\n`,
        expect: ["3 pip-remote-index"],
        passes: true,
    },
    {
        name: "hashed requirements from PyPI fail --strict",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -r /app/hashed.txt\n${STAMP}\n`,
        expect: ["3 pip-remote-index"],
        strict: true,
    },
    {
        name: "an index named by -i, --index-url=, or --no-index with --find-links",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -ihttp://127.0.0.1:3141/simple/ -r /app/hashed.txt\nRUN pip install --index-url=http://127.0.0.1:3141/simple/ -r /app/hashed.txt\nRUN pip install --no-index -f /wheels -r /app/hashed.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "PIP_INDEX_URL from ENV, or set on the line",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nENV PIP_INDEX_URL=http://127.0.0.1:3141/simple/\nRUN pip install -r /app/hashed.txt\nFROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN PIP_INDEX_URL=http://127.0.0.1:3141/simple/ pip install -r /app/hashed.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "--index-url $PIP_INDEX_URL in a stage that does not declare it",
        recipe: `FROM ${BASE} AS build\n${PY}\nFROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install --index-url "$PIP_INDEX_URL" -r /app/hashed.txt\n${STAMP}\n`,
        expect: ["6 pip-remote-index"],
        passes: true,
    },
    {
        name: "an index named in the requirements file",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -r /app/hashed-mirror.txt\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "PyPI named as the index, or an extra index alone",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -i https://pypi.org/simple -r /app/hashed.txt\nRUN pip install --extra-index-url http://127.0.0.1:3141/simple/ -r /app/hashed.txt\n${STAMP}\n`,
        expect: ["3 pip-remote-index", "4 pip-remote-index"],
        passes: true,
    },
    {
        name: "a local wheel without its dependencies downloads nothing",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install --no-deps ./dist/app-1.0-py3-none-any.whl\n${STAMP}\n`,
        expect: [],
        passes: true,
    },
    {
        name: "a local wheel with its dependencies downloads them",
        recipe: `FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install ./dist/app-1.0-py3-none-any.whl\n${STAMP}\n`,
        expect: ["3 pip-remote-index"],
        passes: true,
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
    {
        name: "exec-form RUN",
        recipe: `FROM ${BASE}\n${PY}\nRUN ["pip", "install", "numpy"]\n${STAMP}\n`,
        expect: ["4 pip-no-hashes", "4 pip-unpinned"],
    },
    { name: "exec-form sh -c", recipe: `FROM ${BASE}\nRUN ["/bin/sh", "-c", "apk add curl"]\n${STAMP}\n`, expect: ["2 apk-unpinned"] },
    {
        name: "RUN --mount flag is not a command",
        recipe: `FROM ${BASE}\n${PY}\nRUN --mount=type=cache,target=/root/.cache pip install -r /app/hashed.txt\n${STAMP}\n`,
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

    it("passes the example recipe: one package pinned by version and hash from the local index, hash-based .pyc", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-recipe-"));
        try {
            fs.writeFileSync(path.join(dir, "requirements.txt"), `idna==3.10 --hash=sha256:${"ab".repeat(32)}\n`);
            const recipe = [
                `FROM ${BASE}`,
                "ARG SOURCE_DATE_EPOCH",
                "ARG PIP_INDEX_URL=http://127.0.0.1:3141/simple/",
                "COPY requirements.txt /app/requirements.txt",
                'RUN pip install --no-cache-dir --require-hashes --index-url "$PIP_INDEX_URL" --no-compile --target /app/deps -r /app/requirements.txt',
                STAMP,
            ].join("\n");
            fs.writeFileSync(path.join(dir, "Dockerfile"), `${recipe}\n`);
            assert.deepStrictEqual(lintDockerfileFile(path.join(dir, "Dockerfile"), { strict: true }).map(formatFinding), []);
            // The same recipe with the requirement's hash gone.
            fs.writeFileSync(path.join(dir, "requirements.txt"), "idna==3.10\n");
            const [f] = lintDockerfileFile(path.join(dir, "Dockerfile"), { strict: true });
            assert.strictEqual(`${f.line} ${f.rule}`, "5 pip-no-hashes");
            assert.match(f.message, /requirements\.txt gives no --hash for "idna==3\.10 \(line 1\)"/);
            assert.match(f.fix, /pip download idna==3\.10 --no-deps -d \/tmp\/wheels && pip hash \/tmp\/wheels\/\*/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("gives each new rule's fix and names the line a requirement starts on", () => {
        const lint = (recipe: string) => lintDockerfile(`${recipe}\n${STAMP}\n`, "Dockerfile", { contextDir: CONTEXT });
        const [sde] = lint(`FROM ${BASE}\nRUN pip3 --version`);
        assert.strictEqual(sde.rule, "python-no-source-date-epoch");
        assert.match(sde.message, /runs pip3 .* \.pyc files stamped with the build's clock/);
        assert.strictEqual(
            sde.fix,
            "add ARG SOURCE_DATE_EPOCH after the FROM line (pinned passes the commit time; Python then writes hash-based .pyc files)",
        );
        const [index] = lint(`FROM ${BASE}\nARG SOURCE_DATE_EPOCH\nRUN pip install -r /app/hashed.txt`);
        assert.strictEqual(index.severity, "warning");
        assert.strictEqual(
            index.fix,
            "install from a mirror you run: --index-url $PIP_INDEX_URL (pinned env up serves one on 127.0.0.1:3141)",
        );
        const [unhashed] = lint(`FROM ${BASE}\n${PY}\nRUN pip install -r /app/continued-unhashed.txt`);
        assert.match(unhashed.message, /"urllib3==2\.2\.3 \(line 3\)": since other requirements have one, pip checks every requirement/);
        const [named] = lint(`FROM ${BASE}\n${PY}\nRUN pip install requests`);
        assert.match(named.message, /"requests" from the command line, where a requirement cannot carry a --hash/);
        assert.match(named.fix, /pip download requests==<version> --no-deps -d \/tmp\/wheels && pip hash \/tmp\/wheels\/\*/);
    });

    it("never reads a requirements file outside the build context, nor prints what it holds", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-context-"));
        try {
            fs.mkdirSync(path.join(dir, "context"));
            fs.writeFileSync(path.join(dir, "secrets.txt"), "token-5f2b9c1e-do-not-print\n");
            fs.symlinkSync(path.join(dir, "secrets.txt"), path.join(dir, "context", "linked.txt"));
            for (const file of ["/../secrets.txt", "../secrets.txt", "linked.txt"]) {
                const findings = lintDockerfile(`FROM ${BASE}\n${PY}\nRUN pip install -r ${file}\n${STAMP}\n`, "Dockerfile", {
                    contextDir: path.join(dir, "context"),
                });
                assert.deepStrictEqual(
                    findings.map((f) => `${f.line} ${f.rule}`),
                    ["4 pip-requirements-unreadable"],
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

    it("base images of a recipe, stages left out", () => {
        const text = "FROM a/b:1@sha256:x AS build\nRUN true\nFROM build\nFROM c:2\n";
        assert.deepStrictEqual(baseImagesOf(text), ["a/b:1@sha256:x", "c:2"]);
    });
});
