// Worker threads start without the TypeScript loader the main thread runs under; register it, then load the worker.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
