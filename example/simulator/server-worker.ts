// One simulated game server in a worker thread (see runSimulation): plays its shard and reports progress, then the
// outcome. An "abort" message stops it like the caller's signal would.
import { parentPort, workerData } from "node:worker_threads";
import { playServer, type ServerMessage, type ServerOptions, type Shard } from "./index.js";

const { options, shard } = workerData as { options: ServerOptions; shard: Shard };
const port = parentPort!;
const controller = new AbortController();
port.on("message", (message: unknown) => {
	if (message === "abort") controller.abort();
});
const send = (message: ServerMessage) => port.postMessage(message);

try {
	const report = await playServer(
		{
			...options,
			signal: controller.signal,
			onProgress: (done, total) => send({ kind: "progress", done, total }),
		},
		shard,
	);
	send({ kind: "done", report });
} catch (error) {
	send({ kind: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
port.close();
