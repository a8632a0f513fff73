import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PinnedError } from "../../core/errors";
import { resolveSettings } from "../../core/settings";
import { buildImage, ImageRequest } from "../../pipeline/workflow/imageBuild";
import { testContext } from "../support/context";
import { recordedSteps } from "../support/recordedSteps";

/**
 * What a release's image build checks before anything is built
 * (workflow/imageBuild.ts), with the context's environment: buildah on its
 * PATH, the release key from its variables or its cache folder. The
 * project, cache and PATH are temporary folders; the registry is a closed
 * port, so a step that reached it would fail with a refused connection.
 * The build itself (buildah or the engine) is left to the e2e tests.
 */
describe("buildImage: the checks made before a build, with the context's environment", () => {
    let dir: string;
    let bin: string;
    let cache: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-image-build-"));
        bin = path.join(dir, "bin");
        cache = path.join(dir, "cache");
        fs.mkdirSync(bin);
        fs.mkdirSync(cache);
        fs.mkdirSync(path.join(dir, "app"));
        // A base from another registry: the base check asks only the release's registry about its own bases.
        fs.writeFileSync(path.join(dir, "app", "Dockerfile"), `FROM docker.io/library/python:3.12-slim@sha256:${"e".repeat(64)}\n`);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A buildah that answers --version, on the context's PATH only. */
    const standInBuildah = () =>
        fs.writeFileSync(
            path.join(bin, "buildah"),
            "#!/bin/sh\necho 'buildah version 1.28.2 (image-spec 1.0.2-dev, runtime-spec 1.0.2-dev)'\n",
            {
                mode: 0o755,
            },
        );

    const request = (): ImageRequest => ({
        tag: "2026-12-03-001",
        release: "2026-12-03-001",
        source: { root: dir, commit: "a".repeat(40), commitTime: "2026-12-03T10:00:00.000Z" },
        // The defaults (builder buildah, the project's app/), pushed to a closed port.
        settings: { ...resolveSettings({}, {}, dir), registry: "127.0.0.1:1" },
        sign: true,
    });
    const context = (env: Record<string, string> = {}) => testContext({ PATH: bin, HOME: dir, PINNED_CACHE: cache, ...env }, dir);

    it("buildah is looked for on the context's PATH, and its absence refused with the install command", async () => {
        const steps = recordedSteps();
        await assert.rejects(
            buildImage(context(), request(), steps),
            (err: unknown) =>
                err instanceof PinnedError && /buildah is not installed/.test(err.problem) && /pinned env up builder/.test(err.fix),
        );
        assert.deepStrictEqual(steps.said, [], "refused before any step");
    });

    it("a release with no key in the context's environment or cache is refused before the registry is asked or anything built", async () => {
        standInBuildah();
        const steps = recordedSteps();
        await assert.rejects(
            buildImage(context(), request(), steps),
            (err: unknown) => err instanceof PinnedError && /no release signing key/.test(err.problem),
        );
        assert.deepStrictEqual(steps.said, [
            "start: checking the recipe's base images in the registry",
            "done: checking the recipe's base images in the registry",
        ]);
    });

    it("with the docker builder, no buildah is needed: the build goes on to the registry (a closed port, so that step fails)", async () => {
        const steps = recordedSteps();
        const keys = { PINNED_SIGNING_KEY: path.join(dir, "cosign.key"), PINNED_SIGNING_PUBLIC_KEY: path.join(dir, "cosign.pub") };
        const req = request();
        await assert.rejects(buildImage(context(keys), { ...req, settings: { ...req.settings, builder: "docker" } }, steps));
        assert.deepStrictEqual(steps.said.slice(2), [
            "start: looking for an identical build of 127.0.0.1:1/pinned/app:2026-12-03-001",
            "fail: looking for an identical build of 127.0.0.1:1/pinned/app:2026-12-03-001",
        ]);
    });

    it("the context's key lets the build go on to the registry (here a closed port, so that step fails)", async () => {
        standInBuildah();
        const steps = recordedSteps();
        const keys = { PINNED_SIGNING_KEY: path.join(dir, "cosign.key"), PINNED_SIGNING_PUBLIC_KEY: path.join(dir, "cosign.pub") };
        await assert.rejects(buildImage(context(keys), request(), steps));
        assert.deepStrictEqual(steps.said.slice(2), [
            "start: looking for an identical build of 127.0.0.1:1/pinned/app:2026-12-03-001",
            "fail: looking for an identical build of 127.0.0.1:1/pinned/app:2026-12-03-001",
        ]);
    });
});
