// A release stack: build (or recall) the image, deploy it by digest.
// Everything lives in components/; see components/program.ts.
import { releaseProgram } from "./components/program";

export = releaseProgram;
