// A release stack: build (or recall) the image, deploy it by digest.
// Everything lives in components/; see components/program.ts.
import { installStackTraceRepair } from "./components/stackTraces";
import { releaseProgram } from "./components/program";

// First, so that an error anywhere in the program is reported in a second
// rather than a minute (see components/stackTraces.ts).
installStackTraceRepair();

export = releaseProgram;
