import { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { IMAGE_BUILD_TYPE, IMAGE_PUSH_TYPE } from "../../components/releaseImage";
import { Step, Steps } from "../steps";

/** Operations that do work worth watching; "same" and "read" are not. */
const WORKING_OPS: ReadonlySet<OpType> = new Set(["create", "update", "replace", "create-replacement", "delete", "delete-replaced"]);

/** What a resource step means to the person releasing. */
export function describeStep(type: string, urn: string, op: OpType, objectName?: string): string | undefined {
    // Kubernetes objects by the name kubectl shows, others by their resource name.
    const name = objectName ?? urn.slice(urn.lastIndexOf("::") + 2);
    if (type === IMAGE_BUILD_TYPE) {
        return op === "delete" || op === "delete-replaced" ? undefined : `building ${name}`;
    }
    if (type === IMAGE_PUSH_TYPE) {
        return op === "delete" || op === "delete-replaced" ? undefined : `pushing ${name}`;
    }
    if (type.startsWith("pulumi:") || !type.includes(":") || type.startsWith("pinned:index:")) {
        return undefined; // the stack, providers and components: no work of their own
    }
    const kind = type.slice(type.lastIndexOf(":") + 1);
    if (op === "delete" || op === "delete-replaced") {
        return `deleting ${kind} ${name}`;
    }
    return kind === "Deployment" ? `rolling out Deployment ${name}` : `applying ${kind} ${name}`;
}

/** "1 updated, 3 unchanged" from the engine's change counts. */
export function summarizeChanges(changes: Record<string, number>): string {
    const words: Record<string, string> = {
        create: "created",
        update: "updated",
        delete: "deleted",
        replace: "replaced",
        same: "unchanged",
    };
    const parts = Object.entries(changes)
        .filter(([, n]) => n > 0)
        .map(([op, n]) => `${n} ${words[op] ?? op}`);
    return parts.length > 0 ? parts.join(", ") : "no resources";
}

/**
 * Turns the engine's event stream into steps: one per resource
 * that does real work, one for the refresh, and the engine's warnings and
 * errors as plain lines. The raw engine text goes to a log file instead.
 */
export class EngineProgress {
    private readonly steps = new Map<string, { step: Step; label: string }>();
    /** Labels of the steps the engine finished, and of those it reported failed, in order. */
    private readonly finished: string[] = [];
    private readonly failed: string[] = [];
    /** The stack's outputs as the engine reported them at the end of the run. */
    stackOutputs: Record<string, unknown> = {};
    private refresh?: Step;
    private readonly said = new Set<string>();

    constructor(
        private readonly progress: Steps,
        /** `summary: false` leaves out the engine's closing count (for a step inside a larger command). */
        private readonly opts: { summary?: boolean } = {},
    ) {}

    readonly onEvent = (event: EngineEvent): void => {
        const pre = event.resourcePreEvent;
        if (pre && !pre.planning) {
            const { op, urn, type } = pre.metadata;
            if (op === "refresh") {
                this.refresh ??= this.progress.start("reading the cluster (refresh)");
                return;
            }
            this.endRefresh();
            const state = pre.metadata.new ?? pre.metadata.old;
            // Kubernetes objects by metadata.name, images by their name.
            const inputs = state?.inputs as { metadata?: { name?: unknown }; name?: unknown } | undefined;
            const objectName = inputs?.metadata?.name ?? inputs?.name;
            const label = WORKING_OPS.has(op)
                ? describeStep(type, urn, op, typeof objectName === "string" ? objectName : undefined)
                : undefined;
            if (label) {
                this.steps.set(urn, { step: this.progress.start(label), label });
            }
            return;
        }
        const outputs = event.resOutputsEvent;
        if (outputs && !outputs.planning && outputs.metadata.type === "pulumi:pulumi:Stack") {
            this.stackOutputs = { ...(outputs.metadata.new?.outputs as Record<string, unknown> | undefined) };
        }
        if (outputs && !outputs.planning) {
            const started = this.steps.get(outputs.metadata.urn);
            this.steps.delete(outputs.metadata.urn);
            if (started) {
                this.finished.push(started.label);
            }
            // A push's step ends with the digest the registry gave it.
            const pushed =
                outputs.metadata.type === IMAGE_PUSH_TYPE
                    ? (outputs.metadata.new?.outputs as { sha256Digest?: unknown } | undefined)?.sha256Digest
                    : undefined;
            started?.step.done(typeof pushed === "string" ? pushed : undefined);
            return;
        }
        if (event.resOpFailedEvent) {
            const urn = event.resOpFailedEvent.metadata.urn;
            const started = this.steps.get(urn);
            if (started) {
                started.step.fail();
                this.failed.push(started.label);
            }
            this.steps.delete(urn);
            return;
        }
        const diag = event.diagnosticEvent;
        if (diag && !diag.ephemeral && (diag.severity === "error" || diag.severity === "warning")) {
            const text = diag.message.replace(/\u001b\[[0-9;]*m|<\{%[^%]*%\}>/g, "").trim();
            // The engine repeats a failure's message in its summary.
            if (text && !this.said.has(text)) {
                this.said.add(text);
                this.progress.line(`${diag.severity}: ${text}`);
            }
            return;
        }
        if (event.summaryEvent) {
            this.endRefresh();
            if (this.opts.summary === false) {
                return;
            }
            const seconds = event.summaryEvent.durationSeconds;
            this.progress.line(`engine: ${summarizeChanges(event.summaryEvent.resourceChanges as Record<string, number>)} (${seconds}s)`);
        }
    };

    /**
     * What the engine did to the target, for a message after a failure:
     * the steps it finished, those it reported failed, and those it started
     * and never finished (their outcome is unknown).
     */
    outcome(): { readonly finished: readonly string[]; readonly failed: readonly string[]; readonly unfinished: readonly string[] } {
        return { finished: [...this.finished], failed: [...this.failed], unfinished: [...this.steps.values()].map((s) => s.label) };
    }

    /** Ends the display; steps the engine never finished are reported so. */
    close(): void {
        this.endRefresh();
        this.progress.close();
    }

    private endRefresh(): void {
        this.refresh?.done();
        this.refresh = undefined;
    }
}
