// The Luau entry (packaging/luau/Vantage.luau, --!strict) is the twin of the TypeScript API (src/index.ts): no Luau
// type checker runs here (none is packaged for npm or Debian), so this test reads both sides and compares them —
// every function of Vantage and VantageClient with its parameters and result, every signal with its arguments, every
// exported type with its fields (their types, and which are optional) or its string literals — then requires the
// entry in the harness and checks that it hands out the SDK's own tables, with nothing missing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeFromProject, under } from "../harness/project.js";
import { World } from "../harness/world.js";
import { ensureSdkBuilt, repoRoot } from "./sdk-build.js";

const LUAU_ENTRY = join(repoRoot, "packaging/luau/Vantage.luau");
/** Luau types with no TypeScript export of that name: the namespaces' types, and what roblox-ts types provide. */
const LUAU_ONLY = [
	"VantageServer",
	"VantageClientApi",
	"VantageConsent",
	"VantageClientConsent",
	"Signal",
	"ReceiptInfo",
];
/** Each namespace (nested ones by their path) and the Luau type of its table. */
const NAMESPACES: Record<string, string> = {
	Vantage: "VantageServer",
	VantageClient: "VantageClientApi",
	"Vantage.consent": "VantageConsent",
	"VantageClient.consent": "VantageClientConsent",
};

/** A TypeScript type written the way the Luau entry writes it. */
function luauSpelling(tsType: string): string {
	return tsType
		.replace(/ \| undefined$/, "")
		.replace(/^(\w+)\[\]$/, "{ $1 }")
		.replace(/^void$/, "()");
}

/** A union with its members sorted, so that both sides may list them in any order. */
function unionOrder(type: string): string {
	return type.split(" | ").sort().join(" | ");
}

interface Member {
	kind: "function" | "value";
	/** "(a: T, b: U?) -> R" for functions, the type for values. */
	signature: string;
}

/** Reads the public API from src/index.ts with the TypeScript checker. */
function typescriptApi(): { namespaces: Record<string, Record<string, Member>>; types: Record<string, string[]> } {
	const configPath = join(repoRoot, "tsconfig.json");
	const parsed = ts.getParsedCommandLineOfConfigFile(
		configPath,
		{},
		{
			...ts.sys,
			onUnRecoverableConfigFileDiagnostic: (d) => {
				throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
			},
		},
	)!;
	const program = ts.createProgram({ rootNames: [join(repoRoot, "src/index.ts")], options: parsed.options });
	const checker = program.getTypeChecker();
	const index = checker.getSymbolAtLocation(program.getSourceFile(join(repoRoot, "src/index.ts"))!)!;
	const str = (t: ts.Type) => luauSpelling(checker.typeToString(t));

	const namespaces: Record<string, Record<string, Member>> = {};
	const types: Record<string, string[]> = {};
	const readNamespace = (name: string, symbol: ts.Symbol): void => {
		{
			const members: Record<string, Member> = {};
			for (const member of checker.getExportsOfModule(symbol)) {
				if (member.flags & ts.SymbolFlags.Namespace) {
					// A nested namespace is a table of its own, typed in Luau by its entry in NAMESPACES.
					const path = `${name}.${member.getName()}`;
					members[member.getName()] = { kind: "value", signature: NAMESPACES[path] ?? `(no Luau type for ${path})` };
					readNamespace(path, member);
					continue;
				}
				const type = checker.getTypeOfSymbol(member);
				const [call] = type.getCallSignatures();
				if (member.flags & ts.SymbolFlags.Function && call) {
					const params = call.getParameters().map((p) => {
						const decl = p.valueDeclaration as ts.ParameterDeclaration;
						const optional = !!decl.questionToken || !!decl.initializer;
						return `${p.getName()}: ${str(checker.getTypeOfSymbol(p))}${optional ? "?" : ""}`;
					});
					members[member.getName()] = {
						kind: "function",
						// A result that may be undefined is optional in Luau: `T | undefined` → `T?`.
						// An array result is a table in Luau: `string[]` → `{ string }`.
						signature: `(${params.join(", ")}) -> ${checker
							.typeToString(call.getReturnType())
							.replace(/^(\w+) \| undefined$/, "$1?")
							.replace(/^(\w+)\[\]$/, "{ $1 }")
							.replace(/^void$/, "()")}`,
					};
				} else {
					// A Signal<(a: A, b: B) => void> is Signal<A, B> in Luau.
					const handler =
						(type as ts.TypeReference).aliasTypeArguments ?? checker.getTypeArguments(type as ts.TypeReference);
					const [fn] = handler[0]?.getCallSignatures() ?? [];
					const signature = fn
						? `Signal<${fn
								.getParameters()
								.map((p) => str(checker.getTypeOfSymbol(p)))
								.join(", ")}>`
						: str(checker.getBaseTypeOfLiteralType(type));
					members[member.getName()] = { kind: "value", signature };
				}
			}
			namespaces[name] = members;
		}
	};
	for (const symbol of checker.getExportsOfModule(index)) {
		const name = symbol.getName();
		if (symbol.flags & ts.SymbolFlags.Namespace) {
			readNamespace(name, symbol);
		} else if (symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface | ts.SymbolFlags.Alias)) {
			const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
			if (!(target.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface))) continue;
			const type = checker.getDeclaredTypeOfSymbol(target);
			if (type.isUnion() && type.types.every((t) => t.isStringLiteral())) {
				types[name] = type.types.map((t) => `"${(t as ts.StringLiteralType).value}"`).sort();
			} else if (type.isUnion() || type.flags & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean)) {
				types[name] = [luauSpelling(checker.typeToString(type, undefined, ts.TypeFormatFlags.InTypeAlias))];
			} else if (checker.getIndexInfosOfType(type).length > 0) {
				types[name] = checker.getIndexInfosOfType(type).map((i) => `[${str(i.keyType)}]: ${str(i.type)}`);
			} else {
				types[name] = checker
					.getPropertiesOfType(type)
					.map((p) => {
						const optional = p.flags & ts.SymbolFlags.Optional ? "?" : "";
						return `${p.getName()}${optional}: ${unionOrder(str(checker.getTypeOfSymbol(p)))}`;
					})
					.sort();
			}
		}
	}
	return { namespaces, types };
}

/** Splits at commas outside brackets and parentheses. */
function splitTop(s: string): string[] {
	const out: string[] = [];
	let depth = 0;
	let cur = "";
	for (const ch of s) {
		if ("({<".includes(ch)) depth++;
		if (")}>".includes(ch)) depth--;
		if (ch === "," && depth === 0) {
			out.push(cur.trim());
			cur = "";
		} else cur += ch;
	}
	if (cur.trim()) out.push(cur.trim());
	return out;
}

/** Reads the `export type`s of the Luau entry: fields (name, optional) of table types, literals of unions. */
function luauTypes(source: string): Record<string, { fields?: Record<string, string>; union?: string[] }> {
	const out: Record<string, { fields?: Record<string, string>; union?: string[] }> = {};
	const code = source.replace(/--.*$/gm, "");
	for (const m of code.matchAll(/^export type (\w+)(?:<[^>]*>)? =\s*([\s\S]*?)(?=^export type|^local |^return )/gm)) {
		const body = m[2]!.trim();
		if (body.startsWith("{") && /^\{\s*\[/.test(body)) {
			out[m[1]!] = { union: [body.replace(/\s+/g, " ")] };
		} else if (body.startsWith("{")) {
			const fields: Record<string, string> = {};
			for (const line of body.slice(1, body.lastIndexOf("}")).split("\n")) {
				const f = /^\t(\w+): (.+),$/.exec(line);
				if (f) fields[f[1]!] = f[2]!;
			}
			out[m[1]!] = { fields };
		} else {
			out[m[1]!] = { union: body.split("|").map((s) => s.trim()) };
		}
	}
	return out;
}

describe("Luau entry ↔ TypeScript API", () => {
	const luauSource = readFileSync(LUAU_ENTRY, "utf8");
	const luau = luauTypes(luauSource);
	let api: ReturnType<typeof typescriptApi>;

	beforeAll(() => {
		api = typescriptApi();
	}, 60_000);

	it("is a --!strict module", () => {
		expect(luauSource.split("\n")[0]).toBe("--!strict");
	});

	it("has every function and signal of Vantage and VantageClient, with the same parameters and result", () => {
		expect(Object.keys(api.namespaces).sort()).toEqual(Object.keys(NAMESPACES).sort());
		for (const [ns, luauType] of Object.entries(NAMESPACES)) {
			const fields = luau[luauType]?.fields ?? {};
			const members = api.namespaces[ns]!;
			expect(Object.keys(fields).sort(), `${luauType} fields`).toEqual(Object.keys(members).sort());
			for (const [name, member] of Object.entries(members)) {
				const twin = fields[name]!;
				if (member.kind === "value") {
					expect(twin, `${ns}.${name}`).toBe(member.signature);
					continue;
				}
				// "(player: Player, name: string, props: Props?) -> boolean"
				const f = /^\((.*)\) -> (.+)$/.exec(twin);
				expect(f, `${luauType}.${name} is a function type`).not.toBeNull();
				const params = splitTop(f![1]!).join(", ");
				expect(`(${params}) -> ${f![2]}`, `${ns}.${name}`).toBe(member.signature);
			}
		}
	});

	it("exports every type of the TypeScript API with the same fields or literals", () => {
		const luauNames = Object.keys(luau).filter((n) => !LUAU_ONLY.includes(n));
		expect(luauNames.sort()).toEqual(Object.keys(api.types).sort());
		for (const [name, shape] of Object.entries(api.types)) {
			const twin = luau[name]!;
			if (twin.fields) {
				// `name: T?` / `name: (A | B)?` in Luau is `name?: T` / `name?: A | B` in TypeScript.
				const fields = Object.entries(twin.fields)
					.map(([f, t]) => {
						// Roblox's enums are Enum.X in Luau and X to the TypeScript checker.
						const base = t
							.replace(/\?$/, "")
							.replace(/^\((.*)\)$/, "$1")
							.replace(/\bEnum\.(\w+)/g, "$1");
						return `${f}${t.endsWith("?") ? "?" : ""}: ${unionOrder(base)}`;
					})
					.sort();
				expect(fields, name).toEqual(shape);
			} else if (shape.every((s) => s.startsWith('"'))) {
				expect([...twin.union!].sort(), name).toEqual(shape);
			} else {
				const spelled = shape.map((s) => s.replace(/ \| /g, " | ").replace(/^\[(\w+)\]: (\w+)$/, "{ [$1]: $2 }"));
				expect(twin.union!.join(" | "), name).toBe(spelled.join(" | "));
			}
		}
	});

	it("hands out the SDK's own tables when required in the game", async () => {
		ensureSdkBuilt();
		// The model as the build lays it out (packaging/build.ts): the entry, with the Rojo model as its child SDK.
		const sdk = { ...nodeFromProject(join(repoRoot, "default.project.json")), name: "SDK" };
		const entry = { name: "Vantage", className: "ModuleScript", path: LUAU_ENTRY, children: [sdk] };
		const world = await World.create({
			tree: under("ReplicatedStorage", entry),
		});
		try {
			const [same, keys] = await world.run<[boolean, string]>(
				"server",
				`local RS = game:GetService("ReplicatedStorage")
				local typed, sdk = require(RS.Vantage), require(RS.Vantage.SDK)
				local keys = {}
				for _, ns in { "Vantage", "VantageClient" } do
					for k, v in sdk[ns] do table.insert(keys, ns .. "." .. k .. ":" .. type(v)) end
				end
				table.sort(keys)
				return typed.Vantage == sdk.Vantage and typed.VantageClient == sdk.VantageClient, table.concat(keys, " ")`,
			);
			expect(same).toBe(true);
			const expected = Object.entries(api.namespaces)
				.filter(([ns]) => !ns.includes("."))
				.flatMap(([ns, members]) =>
					Object.entries(members).map(
						([k, m]) => `${ns}.${k}:${m.kind === "function" ? "function" : k === "VERSION" ? "string" : "table"}`,
					),
				);
			expect(keys.split(" ")).toEqual(expected.sort());
		} finally {
			await world.destroy();
		}
	});
});
