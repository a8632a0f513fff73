// Compiled by test/unit/digestTypes.test.ts with tsc, which must report an
// error on exactly the lines marked "expect-error" and on no other line.
import * as pulumi from "@pulumi/pulumi";
import { parseImageDigest } from "../../core/imageDigest";
import { resolveSettings } from "../../core/settings";
import { PinnedDeployment } from "../../components/pinnedDeployment";

const common = {
    release: "2026-11-27-001",
    commit: "532aa0fe568c79c59e5cececc18732b2a3cf8995",
    settings: resolveSettings({}, {}, "/p"),
};

// A movable tag: refused at compile time.
new PinnedDeployment("tag", { ...common, image: "127.0.0.1:5000/pinned/app:2026-11-27-001" }); // expect-error
// A string that happens to hold a digest is still a plain string: refused.
const looksRight: string = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
new PinnedDeployment("plain", { ...common, image: looksRight }); // expect-error
// An Output<string> (say, some other resource's output) is refused too.
new PinnedDeployment("output", { ...common, image: pulumi.output("app:1.0") }); // expect-error

// Only the parser makes an ImageDigest: these compile.
new PinnedDeployment("parsed", { ...common, image: parseImageDigest(looksRight) });
new PinnedDeployment("lifted", { ...common, image: pulumi.output(looksRight).apply(parseImageDigest) });
