// VANTAGE_EVENTS_URL for the ClickHouse event engine:
//   clickhouse://[user:password@]host:port[,host:port…]/database?cluster=<name>[&user=<user>&password=<password>]
// One host (its HTTP port) per shard, in the cluster's shard order: the store writes each row straight into the local
// table of the shard the Distributed table's sharding key picks, so position i of the list must be shard i + 1 of
// `cluster` (checked against system.clusters at open, client.ts). Without `cluster` the deployment is one shard: one
// host, no Distributed tables.

/** One shard's HTTP endpoint. */
export interface ClickHouseHost {
	host: string;
	port: number;
}

/** A parsed VANTAGE_EVENTS_URL. */
export interface ClickHouseTarget {
	/** One per shard, in shard order. */
	hosts: ClickHouseHost[];
	database: string;
	/** The cluster of the shards' `remote_servers` (Distributed tables); undefined for a single shard. */
	cluster: string | undefined;
	/** @default "default" */
	user: string;
	/** @default "" */
	password: string;
}

/** A VANTAGE_EVENTS_URL that cannot be used; the message names what is wrong (never the password). */
export class ClickHouseUrlError extends Error {
	override readonly name = "ClickHouseUrlError";
}

/** Database and cluster names go into DDL unquoted: keep them to ClickHouse's plain identifiers. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const PARAMETERS = new Set(["cluster", "user", "password"]);

/**
 * Parses a `clickhouse://` URL (see the top of this file).
 *
 * @example
 * parseClickHouseUrl("clickhouse://10.0.0.1:8123,10.0.0.2:8123/vantage?cluster=events");
 * // { hosts: [{ host: "10.0.0.1", port: 8123 }, { host: "10.0.0.2", port: 8123 }], database: "vantage",
 * //   cluster: "events", user: "default", password: "" }
 */
export function parseClickHouseUrl(url: string): ClickHouseTarget {
	const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(url.trim());
	if (!match) {
		throw new ClickHouseUrlError(
			"VANTAGE_EVENTS_URL must look like clickhouse://host:port[,host:port…]/database?cluster=<name>.",
		);
	}
	const [, scheme, authority = "", path = "", search = "", fragment] = match;
	if (scheme!.toLowerCase() !== "clickhouse") {
		throw new ClickHouseUrlError(
			`VANTAGE_EVENTS_URL has the scheme "${scheme}:"; the ClickHouse engine takes clickhouse:// (HTTP interface).`,
		);
	}
	if (fragment) throw new ClickHouseUrlError("VANTAGE_EVENTS_URL must not have a #fragment.");
	// Credentials as user:password@ before the hosts (for all of them), or as ?user=…&password=….
	const at = authority.lastIndexOf("@");
	const userinfo = at < 0 ? undefined : authority.slice(0, at);
	const hostList = authority.slice(at + 1);
	if (hostList === "") throw new ClickHouseUrlError("VANTAGE_EVENTS_URL names no host.");
	const hosts = hostList.split(",").map((part, index) => parseHost(part, index));
	const seen = new Set<string>();
	for (const { host, port } of hosts) {
		const key = `${host.toLowerCase()}:${port}`;
		if (seen.has(key)) throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL lists ${key} twice: one host per shard.`);
		seen.add(key);
	}

	const database = decode(path.replace(/^\//, ""), "the database");
	if (database === "")
		throw new ClickHouseUrlError("VANTAGE_EVENTS_URL names no database: add /<database> after the hosts.");
	if (!IDENTIFIER.test(database)) {
		throw new ClickHouseUrlError(
			`VANTAGE_EVENTS_URL: the database "${database}" must be 1-63 characters of A-Z a-z 0-9 _, not starting with a digit.`,
		);
	}

	const params = new Map<string, string>();
	for (const pair of search.replace(/^\?/, "").split("&")) {
		if (pair === "") continue;
		const eq = pair.indexOf("=");
		const name = decode(eq < 0 ? pair : pair.slice(0, eq), "a parameter name");
		const value = decode(eq < 0 ? "" : pair.slice(eq + 1).replace(/\+/g, " "), `the parameter ${name}`);
		if (!PARAMETERS.has(name)) {
			throw new ClickHouseUrlError(
				`VANTAGE_EVENTS_URL has an unknown parameter "${name}" (known: ${[...PARAMETERS].join(", ")}).`,
			);
		}
		if (params.has(name)) throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL gives "${name}" more than once.`);
		params.set(name, value);
	}
	const cluster = params.get("cluster");
	if (cluster !== undefined && !IDENTIFIER.test(cluster)) {
		throw new ClickHouseUrlError(
			`VANTAGE_EVENTS_URL: the cluster "${cluster}" must be 1-63 characters of A-Z a-z 0-9 _, not starting with a digit.`,
		);
	}
	if (cluster === undefined && hosts.length > 1) {
		throw new ClickHouseUrlError(
			`VANTAGE_EVENTS_URL lists ${hosts.length} hosts but no ?cluster=<name>: several shards need the cluster their ` +
				"Distributed tables span (the name in remote_servers).",
		);
	}
	let user = params.get("user");
	let password = params.get("password");
	if (userinfo !== undefined) {
		if (user !== undefined || password !== undefined) {
			throw new ClickHouseUrlError("VANTAGE_EVENTS_URL gives credentials twice (user:password@ and ?user=/password=).");
		}
		const colon = userinfo.indexOf(":");
		user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), "the user");
		password = colon < 0 ? undefined : decode(userinfo.slice(colon + 1), "the password");
	}
	if (user === "") throw new ClickHouseUrlError("VANTAGE_EVENTS_URL: the user must not be empty.");
	return { hosts, database, cluster, user: user ?? "default", password: password ?? "" };
}

function parseHost(part: string, index: number): ClickHouseHost {
	const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(part);
	const which = `host ${index + 1} ("${part}")`;
	if (!match || match[1] === "") throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL: ${which} is not host:port.`);
	const host = match[1]!;
	if (!HOST.test(host)) throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL: ${which} is not a valid host name.`);
	if (match[2] === undefined) {
		throw new ClickHouseUrlError(
			`VANTAGE_EVENTS_URL: ${which} has no port; give each shard's HTTP port (ClickHouse's default is 8123).`,
		);
	}
	const port = Number(match[2]);
	if (port < 1 || port > 65535)
		throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL: ${which} has the port ${port}, not 1-65535.`);
	return { host, port };
}

function decode(text: string, what: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		throw new ClickHouseUrlError(`VANTAGE_EVENTS_URL: ${what} is not valid percent-encoding.`);
	}
}

/** `host:port` of a shard, as errors and logs name it. */
export function hostLabel(host: ClickHouseHost): string {
	return `${host.host}:${host.port}`;
}

/** The URL with the password replaced, for logs and error messages. */
export function redactClickHouseUrl(url: string): string {
	return url
		.replace(/([?&]password=)[^&#]*/gi, "$1***")
		.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, "$1***@");
}
