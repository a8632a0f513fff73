import { PinnedError } from "../../core/errors";
import { interrupted, InterruptedError } from "../engine/interrupt";
import { Step, Steps } from "../steps";

/**
 * Waiting for another holder to finish, as the lock file (lockFile.ts) and the
 * cluster Lease (cluster/lease.ts) both do. Each round refuses when the
 * command was interrupted or the time is up, else shows once whom it waits
 * for and sleeps one poll.
 */
export class HolderWait {
    private readonly deadline: number;
    private step?: Step;

    constructor(
        private readonly opts: {
            /** What is waited for, as in "interrupted while waiting for <what>". */
            readonly what: string;
            /** How long to wait; 0 refuses at once. */
            readonly waitMs: number;
            readonly pollMs: number;
            readonly progress?: Steps;
        },
    ) {
        this.deadline = Date.now() + opts.waitMs;
    }

    /**
     * One round. `busy` is the refusal once the time is up (how long was
     * waited is added); `label`, when known, is the progress line shown
     * while waiting.
     */
    async round(busy: { readonly problem: string; readonly fix: string }, label: string | undefined): Promise<void> {
        if (interrupted()) {
            this.fail();
            throw new InterruptedError(
                `interrupted while waiting for ${this.opts.what}; nothing was changed.`,
                "run the command again when you want the release.",
            );
        }
        if (Date.now() >= this.deadline) {
            this.fail();
            throw new PinnedError(
                busy.problem + (this.opts.waitMs > 0 ? ` Waited ${Math.round(this.opts.waitMs / 1000)}s.` : ""),
                busy.fix,
            );
        }
        if (label && !this.step) {
            this.step = this.opts.progress?.start(label);
        }
        await new Promise((r) => setTimeout(r, this.opts.pollMs));
    }

    /** The turn came: the waiting step (if one was shown) ends well. */
    done(): void {
        this.step?.done();
    }

    /** Waiting ended in a refusal. */
    fail(): void {
        this.step?.fail();
    }
}
