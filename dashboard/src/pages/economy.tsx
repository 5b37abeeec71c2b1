// Economy: the virtual currencies players earn (sources) and spend (sinks), recorded by Vantage.economy — per day,
// the net flow between them, the money supply it adds up to, and the items that move the most.
import { useMemo } from "preact/hooks";
import type { Economy } from "../analytics-types.js";
import { Chart } from "../components/chart.js";
import { Plot, type PlotAxis } from "../components/plot.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import { csvPath, DataTable, jsonPath, Panel, SegmentChooser, Stats } from "./analytics-parts.js";
import {
	currenciesBySize,
	economySize,
	economyStats,
	flowChart,
	hasEconomy,
	ITEM_COLUMNS,
	itemRows,
	pickCurrency,
	supplyChart,
} from "./economy-data.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import { pickSegment, segmentLabel } from "./segments-data.js";

const formatAmount = (value: number) => formatValue(value, "count");
const DATE_AXIS: PlotAxis = { kind: "date" };
const DEFAULTS = { currency: "", segment: "" };

export function EconomyPage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	const answer = useApi<[Economy]>([jsonPath(state, range, "economy")]);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const shown = data && pickSegment(data.segments, params.segment, economySize);
	const currency = shown && pickCurrency(shown, params.currency);
	const flow = useMemo(() => currency && flowChart(currency), [currency]);
	const supply = useMemo(() => currency && supplyChart(currency), [currency]);
	const of = shown?.segment ? `, ${segmentLabel(shown.segment)}` : "";

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Economy</h1>
				<p class="muted">Virtual currencies players earn and spend, recorded by Vantage.economy.</p>
			</header>
			{answer.status === "loading" ? <Loading label="Loading the economy…" /> : null}
			{answer.status === "failed" ? <Failed what="the economy" error={answer.error} onRetry={answer.retry} /> : null}
			{data && !hasEconomy(data) ? (
				<Empty title="No economy events in this date range">
					<p>
						No currency has moved yet: call{" "}
						<code>
							Vantage.economy(player, {"{"} flow = "source", currency = "Coins", amount = 50, itemType = "Reward",
							itemId = "DailyBonus" {"}"})
						</code>{" "}
						when players earn, and the same with <code>flow = "sink"</code> when they spend. Or pick a longer date range
						above.
					</p>
				</Empty>
			) : null}
			{data && hasEconomy(data) && shown && currency && flow && supply ? (
				<>
					<div class="options">
						{state.breakdown ? (
							<SegmentChooser
								id="economy-segment"
								dimension={state.breakdown}
								segments={data.segments.map((s) => s.segment)}
								value={shown.segment}
								onChange={(segment) => setParams({ segment })}
							/>
						) : null}
						{shown.currencies.length > 1 ? (
							<div class="field">
								<label for="economy-currency">Currency</label>
								<select
									id="economy-currency"
									value={currency.currency}
									onChange={(e) => setParams({ currency: e.currentTarget.value })}
								>
									{currenciesBySize(shown).map((c) => (
										<option key={c.currency} value={c.currency}>
											{c.currency}
										</option>
									))}
								</select>
							</div>
						) : null}
					</div>
					<Stats label={`${currency.currency} in the range${of}`} items={economyStats(currency)} />
					<Panel
						id="economy-flow"
						title={`${currency.currency} earned and spent per day${of}`}
						csv={{ href: csvPath(state, range, "economy"), what: "sources and sinks chart" }}
					>
						<Plot
							label={`${currency.currency} earned (above zero) and spent (below zero) per day, with the net flow`}
							data={flow}
							x={DATE_AXIS}
							format={formatAmount}
						/>
					</Panel>
					<Panel
						id="economy-supply"
						title={`${currency.currency} money supply${of}`}
						csv={{ href: csvPath(state, range, "economy"), what: "money supply chart" }}
					>
						<p class="muted small">In circulation at the end of each day: everything earned minus everything spent.</p>
						<Chart label={`${currency.currency} money supply`} data={supply} format={formatAmount} />
					</Panel>
					<Panel
						id="economy-items"
						title={`Largest ${currency.currency} flows by item${of}`}
						csv={{ href: csvPath(state, range, "economy", { table: "items" }), what: "flows by item table" }}
					>
						<DataTable
							caption={`${currency.currency} flows by item`}
							columns={ITEM_COLUMNS}
							rows={itemRows(currency)}
						/>
					</Panel>
				</>
			) : null}
		</div>
	);
}
