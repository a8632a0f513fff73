import "./mocks";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap } from "@pulumi/pulumi/automation";
import { PinnedError } from "../../core/errors";
import { GitSource } from "../../core/git/gitSource";
import { parseReleaseName } from "../../core/git/releaseName";
import { bindPassword } from "../../core/registryLogin";
import { ImageSettings } from "../../core/settings";
import { IMAGE_BUILD_TYPE } from "../../components/releaseImage";
import { imageRequest } from "../../pipeline/workflow/deploy";
import { ImageRequest } from "../../pipeline/workflow/imageBuild";
import { imageProgram } from "../../program/imageProgram";
import { testContext } from "../support/context";
import { STRICT_DOCKERFILE } from "../support/tempRepo";
import { ofType, promiseOf, useMocks } from "./mocks";

const R = parseReleaseName("2026-11-27-001");
const COMMIT = "532aa0fe568c79c59e5cececc18732b2a3cf8995";
const REGISTRY = "127.0.0.1:5000";
/** A recipe whose one finding is a warning: a base without a digest. */
const UNDIGESTED_DOCKERFILE = STRICT_DOCKERFILE.replace(/@sha256:[0-9a-f]{64}/, "");

/** The login the Docker provider was given. */
interface Auth {
    readonly address: string;
    readonly username?: string;
    readonly password?: string;
}

/** What one build from a stack came to: the request `pinned up` made, and what ReleaseImage registered from it. */
interface Seen {
    readonly request: ImageRequest;
    /** "built", or the refusal's problem. */
    readonly outcome: string;
    readonly image?: {
        readonly name: string;
        readonly context: string;
        readonly auth: Auth;
    };
}

/**
 * Every setting the image build takes, from a release's stack to the
 * build: the stack's values go through deploy's imageRequest (what
 * `pinned up` builds from) into the image-build program, whose ReleaseImage
 * registers the build with the mock engine. Each row is run alone: with
 * the defaults its value is not seen, with the row's stack values it is.
 */
describe("image settings: from a release's stack to the image build (mocks)", function () {
    this.timeout(30_000);
    let project: string;
    beforeEach(() => {
        project = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-image-settings-"));
        for (const app of ["app", "service"]) {
            fs.mkdirSync(path.join(project, app));
            fs.writeFileSync(path.join(project, app, "Dockerfile"), STRICT_DOCKERFILE);
            fs.writeFileSync(path.join(project, app, "server.py"), "print(1)\n");
        }
        fs.mkdirSync(path.join(project, "cache"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: pinned\nruntime: nodejs\n");
    });
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    /** Builds from a stack of `values` over a plain one (no login), as `pinned up` would with the Docker provider. */
    async function build(values: Record<string, string>): Promise<Seen> {
        useMocks(R);
        // No known registry: the cache folder is empty and PINNED_REGISTRY unset.
        const ctx = testContext({ PINNED_CACHE: path.join(project, "cache") }, project);
        const stack = { "pinned:commit": COMMIT, "pinned:registry": REGISTRY, ...values };
        const config: ConfigMap = Object.fromEntries(Object.entries(stack).map(([k, value]) => [k, { value }]));
        const source = { root: project, commit: COMMIT, commitTime: "2026-11-27T10:00:00.000Z" } as GitSource;
        const request = imageRequest(ctx, R, config, { release: R, source, commit: COMMIT, command: "pinned up" });
        try {
            await promiseOf((await imageProgram(request)).imageDigest);
        } catch (err) {
            if (!(err instanceof PinnedError)) {
                throw err;
            }
            return { request, outcome: err.problem };
        }
        const [remote] = ofType(IMAGE_BUILD_TYPE);
        const [provider] = ofType("pulumi:providers:docker");
        // Provider config reaches the engine JSON-encoded; with a password the login is a Pulumi secret, its value wrapped.
        const raw = provider.inputs.registryAuth as string | { value: string };
        const [auth] = JSON.parse(typeof raw === "string" ? raw : raw.value) as Auth[];
        return {
            request,
            outcome: "built",
            image: { name: String(remote.inputs.name), context: (remote.inputs.build as { context: string }).context, auth },
        };
    }

    for (const [key, row] of Object.entries(imageSettingRows(() => project))) {
        it(`${key}: a value other than the default reaches the build`, async () => {
            for (const [file, text] of Object.entries(row.files ?? {})) {
                fs.writeFileSync(path.join(project, file), text);
            }
            assert.notDeepStrictEqual(
                row.shown(await build(row.base ?? {})),
                row.expected,
                "the row's value is not what the defaults give",
            );
            assert.deepStrictEqual(row.shown(await build({ ...row.base, ...row.stack })), row.expected);
        });
    }
});

/** One setting's row: stack values other than its default, and what the build shows with them. */
interface Row {
    /** Stack values both runs need (a login the setting belongs to). */
    readonly base?: Record<string, string>;
    readonly stack: Record<string, string>;
    /** Project files both runs build from, relative to the project. */
    readonly files?: Record<string, string>;
    shown(seen: Seen): unknown;
    readonly expected: unknown;
}

/**
 * A row for each setting the image build takes. The type asks for one for
 * every key of ImageSettings, so a setting added there does not compile
 * until it has a row.
 */
function imageSettingRows(project: () => string): { readonly [K in keyof ImageSettings]-?: Row } {
    return {
        appDir: {
            stack: { "pinned:app": "service" },
            shown: (s) => s.image?.context,
            get expected() {
                return path.join(project(), "service");
            },
        },
        // The recipe warns; strict (the default) makes ReleaseImage refuse it.
        strictPolicy: {
            stack: { "pinned:strictPolicy": "false" },
            files: { "app/Dockerfile": UNDIGESTED_DOCKERFILE },
            shown: (s) => s.outcome,
            expected: "built",
        },
        // ReleaseImage is the Docker provider's build; buildImage reads the
        // builder from the request to choose it or buildah (imageBuild.test.ts).
        builder: { stack: { "pinned:builder": "docker" }, shown: (s) => s.request.settings.builder, expected: "docker" },
        repository: {
            stack: { "pinned:repository": "team/shop" },
            shown: (s) => s.image?.name,
            expected: `${REGISTRY}/team/shop:${R}`,
        },
        registry: {
            stack: { "pinned:registry": "127.0.0.1:5001" },
            shown: (s) => [s.image?.name, s.image?.auth.address],
            expected: [`127.0.0.1:5001/pinned/app:${R}`, "http://127.0.0.1:5001"],
        },
        // The password is a secret beside the settings; it reaches the same login.
        registryUser: {
            base: { "pinned:registryPassword": bindPassword(REGISTRY, "pw") },
            stack: { "pinned:registryUser": "pusher" },
            shown: (s) => s.image?.auth,
            expected: { address: `http://${REGISTRY}`, username: "pusher", password: "pw" },
        },
    };
}
