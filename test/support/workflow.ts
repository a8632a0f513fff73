import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../release/project";

/** A GitHub Actions step, as far as the tests read it. */
export interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}

export const WORKFLOW = path.join(PROJECT_DIR, ".github", "workflows", "pinned-preview.yml");

/** The workflow's steps, and the one with the given name. */
export function workflowStep(name: string): Step {
    const doc = yaml.load(fs.readFileSync(WORKFLOW, "utf8")) as { jobs: { preview: { steps: Step[] } } };
    const step = doc.jobs.preview.steps.find((s) => s.name === name);
    assert.ok(step, `no step named "${name}"`);
    return step;
}
