import { Step, Steps } from "../../pipeline/steps";
import { paint, useColour } from "./output";

export type { Step };

/** Where progress goes; a WriteStream in the CLI, a buffer in tests. */
export interface ProgressStream {
    write(text: string): unknown;
    readonly isTTY?: boolean;
}

export interface ProgressOptions {
    /** Redraw a spinner line; otherwise print plain lines (CI, pipes, logs). */
    readonly interactive?: boolean;
    /** How often a plain-line run says a step is still going. */
    readonly heartbeatMs?: number;
    readonly now?: () => number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Long steps for people. At a terminal one spinner line shows every step
 * that is running and its elapsed time; elsewhere (CI=true, a pipe) each
 * step prints a plain start line, a "still …" line every heartbeat, and an
 * end line — nothing is redrawn, so logs read top to bottom.
 */
export class Progress implements Steps {
    private readonly running = new Map<number, { label: string; started: number }>();
    private nextId = 0;
    private timer?: NodeJS.Timeout;
    private frame = 0;
    /** A spinner line is on screen and must be erased before other text. */
    private drawn = false;
    private readonly interactive: boolean;
    private readonly heartbeatMs: number;
    private readonly now: () => number;

    constructor(
        private readonly out: ProgressStream,
        opts: ProgressOptions = {},
    ) {
        this.interactive = opts.interactive ?? useColour(out as NodeJS.WriteStream); // a terminal, not CI, colour allowed
        this.heartbeatMs = opts.heartbeatMs ?? 30_000;
        this.now = opts.now ?? Date.now;
    }

    /** A line saying what pinned is doing, after a `pinned:` mark (bold at a terminal). */
    note(text: string): void {
        this.line(`${paint(this.out as NodeJS.WriteStream, "bold", "pinned:")} ${text}`);
    }

    /** A one-off line between steps. */
    line(text: string): void {
        this.clearSpinner();
        this.out.write(`${text}\n`);
        this.drawSpinner();
    }

    start(label: string): Step {
        const id = this.nextId++;
        this.running.set(id, { label, started: this.now() });
        if (!this.interactive) {
            this.out.write(`${label} …\n`);
        }
        this.ensureTimer();
        this.drawSpinner();
        let ended = false;
        const end = (ok: boolean, detail?: string) => {
            if (ended) {
                return;
            }
            ended = true;
            const step = this.running.get(id);
            this.running.delete(id);
            const seconds = step ? this.elapsed(step.started) : "";
            const mark = ok ? paint(this.out as NodeJS.WriteStream, "green", "✓") : paint(this.out as NodeJS.WriteStream, "red", "✗");
            this.line(`${mark} ${label}${ok ? "" : " failed"} (${seconds})${detail ? `: ${detail}` : ""}`);
            if (this.running.size === 0) {
                this.stopTimer();
            }
        };
        return { done: (detail) => end(true, detail), fail: (detail) => end(false, detail) };
    }

    /** Ends the display: any step still running is reported as not finished. */
    close(): void {
        for (const [id, step] of this.running) {
            this.running.delete(id);
            this.line(`… ${step.label} did not finish (${this.elapsed(step.started)})`);
        }
        this.stopTimer();
        this.clearSpinner();
    }

    /** Seconds since `started`, as people read them: 9s, 1m05s. */
    private elapsed(started: number): string {
        const s = Math.max(0, Math.round((this.now() - started) / 1000));
        return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
    }

    /** Called on each tick: a heartbeat line, or the next spinner frame. */
    tick(): void {
        if (this.interactive) {
            this.frame = (this.frame + 1) % SPINNER.length;
            this.drawSpinner();
            return;
        }
        for (const step of this.running.values()) {
            this.out.write(`  still ${step.label} (${this.elapsed(step.started)})\n`);
        }
    }

    private ensureTimer(): void {
        if (!this.timer) {
            this.timer = setInterval(() => this.tick(), this.interactive ? 120 : this.heartbeatMs);
            this.timer.unref();
        }
    }

    private stopTimer(): void {
        if (this.timer) {
            clearInterval(this.timer);
            this.timer = undefined;
        }
    }

    private drawSpinner(): void {
        if (!this.interactive || this.running.size === 0) {
            return;
        }
        const steps = [...this.running.values()].map((s) => `${s.label} (${this.elapsed(s.started)})`).join(", ");
        this.out.write(`\r\u001b[2K${SPINNER[this.frame]} ${steps}`);
        this.drawn = true;
    }

    private clearSpinner(): void {
        if (this.drawn) {
            this.out.write("\r\u001b[2K");
            this.drawn = false;
        }
    }
}
