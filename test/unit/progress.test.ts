import * as assert from "assert";
import { progressHarness as harness } from "../support/progressHarness";

describe("progress output", () => {
    it("in CI: plain start, heartbeat and end lines; no carriage returns, no escapes", () => {
        const h = harness(false);
        const step = h.progress.start("building and pushing the image");
        h.advance(30_000);
        h.progress.tick();
        h.advance(35_000);
        step.done("127.0.0.1:5000/pinned/app@sha256:abc");
        assert.strictEqual(
            h.text(),
            "building and pushing the image …\n" +
                "  still building and pushing the image (30s)\n" +
                "✓ building and pushing the image (1m05s): 127.0.0.1:5000/pinned/app@sha256:abc\n",
        );
        h.progress.close();
    });

    it("a failed step says so; close reports steps that never finished", () => {
        const h = harness(false);
        h.progress.start("rolling out Deployment pinned-app").fail("timed out");
        h.progress.start("applying Service pinned-app");
        h.advance(2000);
        h.progress.close();
        assert.match(h.text(), /^✗ rolling out Deployment pinned-app failed \(0s\): timed out$/m);
        assert.match(h.text(), /^… applying Service pinned-app did not finish \(2s\)$/m);
    });

    it("at a terminal: one spinner line, erased before other text", () => {
        const h = harness(true);
        const step = h.progress.start("building and pushing the image");
        h.progress.tick();
        step.done();
        const text = h.text();
        assert.match(text, /\r\u001b\[2K⠋ building and pushing the image \(0s\)/);
        assert.match(text, /\r\u001b\[2K⠙ building/);
        // The mark is green unless CI=true or NO_COLOR (see output.useColour).
        assert.match(text, /\r\u001b\[2K(\u001b\[32m)?✓(\u001b\[0m)? building and pushing the image \(0s\)\n$/);
        h.progress.close();
    });
});
