/** A step that may take a while: started, then done or failed. */
export interface Step {
    done(detail?: string): void;
    fail(detail?: string): void;
}

/**
 * Where the release workflow reports what it does. The terminal display in
 * cli/ui/progress.ts implements it; the workflow itself never prints.
 */
export interface Steps {
    /** A one-off line between steps. */
    line(text: string): void;
    /** A line saying what pinned is doing (shown after a `pinned:` mark). */
    note(text: string): void;
    start(label: string): Step;
    /** Ends the display; steps still running are reported as not finished. */
    close(): void;
}
